"""The pandoc filters, one concern each. Their order lives in ``press.pipeline``, nowhere else.

Every chapter filter is a module with ``run(doc, ctx) -> doc`` (a panflute Doc and a
``ChapterContext``); every book filter has ``run(docs, ctxs)`` over all chapters at once.
"""
