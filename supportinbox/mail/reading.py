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

MESSAGE_READING = 2
"""Which reading of whole messages made the cached rows, raised whenever what a message
shows besides its HTML is read differently: which parts are attachments, forwarded
messages, calendar invitations, bounces, the reason a message has no text. A cache made by
an older one reads every cached message again, once (the HTML with it).

1: messages forwarded as attachments read inline, calendar invitations, bounce reports and
no-text reasons as read since (a cache synced before has no mark: reading 0).
2: the text and file names inside Outlook's winmail.dat (TNEF)."""
MESSAGE_META = "message_reading"
