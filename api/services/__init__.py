"""The API's long-lived parts, one module per concern.

* :mod:`api.services.pipeline`: the process's built parts (:class:`PipelineHolder`), reloaded when Chroma returns;
* :mod:`api.services.gate`: the LLM queue (:class:`GenerationGate`);
* :mod:`api.services.streaming`: the pipeline's events under a streamed response (disconnects, queue release);
* :mod:`api.services.feedback`: ratings in SQLite (:class:`FeedbackStore`);
* :mod:`api.services.documents`: uploads and deletions that keep Chroma, BM25 and the folders in step.
"""
