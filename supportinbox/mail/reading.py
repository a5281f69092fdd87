"""Which reading of HTML mail made the cached texts, in a module light enough for the quick sync.

The cache keeps each message's text, not its HTML. :data:`READING` is raised whenever
:func:`supportinbox.mail.html.html_to_text` reads mail differently; the cache records in its
meta (:data:`META`) the reading its texts were made by, and a sync of a cache made by an
older one reads its HTML mail again (:mod:`supportinbox.sync.reread`).

1: blocks, lists, quotes and links. 2: hidden text (preheaders) dropped, tables read as rows.
3: a one-cell layout table (most HTML mail) keeps its paragraphs apart.
"""

READING = 3
META = "html_reading"
