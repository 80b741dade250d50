"""``GET`` and ``DELETE /conversations/{conversation_id}``: the turns stored for a conversation.

Turns are stored by ``POST /ask`` and ``/ask/stream`` when the request carries a ``conversation_id``;
a conversation belongs to the key (or, without keys, the address) that started it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.deps import KeyDep, StateDep
from api.errors import READ_ERRORS
from api.models import CONVERSATION_ID_PATTERN, DeletedConversation
from core.schemas import Conversation

router = APIRouter(prefix="/conversations", tags=["conversations"])

ConversationId = Annotated[
    str, Path(pattern=CONVERSATION_ID_PATTERN, description="The id the client chose (8-64 of A-Z a-z 0-9 _ -).")
]


@router.get(
    "/{conversation_id}",
    response_model=Conversation,
    summary="The turns of a conversation, oldest first",
    responses=READ_ERRORS,
)
async def get_conversation(conversation_id: ConversationId, caller: KeyDep, state: StateDep) -> Conversation:
    """An unknown (or expired, or another caller's) conversation has no turns: a new conversation."""
    return await run_in_threadpool(state.conversations.get, conversation_id, caller.identity)


@router.delete(
    "/{conversation_id}",
    response_model=DeletedConversation,
    summary="Forget a conversation",
    responses=READ_ERRORS,
)
async def delete_conversation(conversation_id: ConversationId, caller: KeyDep, state: StateDep) -> DeletedConversation:
    removed = await run_in_threadpool(state.conversations.delete, conversation_id, caller.identity)
    return DeletedConversation(conversation_id=conversation_id, turns_deleted=removed)
