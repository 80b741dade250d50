"""ZoneQA's top layer: the ``zoneqa`` command line (:mod:`zoneqa.cli`).

The parts themselves are built by the composition root, :func:`rag.components.build`.
"""
