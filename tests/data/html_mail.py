"""HTML mail as senders write it, for the HTML-to-text tests: what a reader must see.

A newsletter with a hidden preheader, a shop's order receipt built of nested layout tables,
and replies from Gmail, Outlook and Apple Mail holding a small table. The markup keeps the
shapes those senders use (class names, inline styles, spacer cells, MSO conditionals).
"""

# ruff: noqa: E501 - mail bodies read best as they would arrive, one line each

from __future__ import annotations

PREHEADER = "Last chance: 40% off everything ends tonight"

# Litmus' preheader recipe, which most newsletter builders copy, plus the zero-width padding
# that keeps an inbox list from showing the body after it; and an MJML-style body whose
# wrapper sets font-size:0 and each column its own size again.
NEWSLETTER = f"""<!doctype html><html><head><meta charset="utf-8"><title>Acme News</title>
<style>.preheader {{ display:none !important; }}</style></head>
<body style="margin:0;padding:0">
<div class="preheader" style="display: none; max-height: 0px; overflow: hidden;">{PREHEADER}</div>
<div style="display: none; max-height: 0px; overflow: hidden;">&#847;&zwnj;&nbsp;&#847;&zwnj;&nbsp;&#847;&zwnj;&nbsp;</div>
<span style="color:transparent;display:none!important;height:0;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;visibility:hidden;width:0">Open this mail to see the deals</span>
<!--[if mso]><table role="presentation" width="600"><tr><td><![endif]-->
<div style="font-size:0px;text-align:left;direction:ltr;display:inline-block;vertical-align:top;width:100%">
<table role="presentation" border="0" cellpadding="0" cellspacing="0" width="100%"><tr>
<td align="left" style="font-size:0px;padding:10px 25px;word-break:break-word">
<div style="font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#333">Hi Lina, our winter sale is on.</div>
</td></tr><tr><td style="font-size:0px;padding:10px 25px">
<div style="font-family:Helvetica,Arial,sans-serif;font-size:13px;color:#888">You receive this because you signed up at acme.test.</div>
</td></tr></table></div>
<!--[if mso]></td></tr></table><![endif]-->
<div style="max-height:0;overflow:hidden;mso-hide:all">Outlook-only hidden tracking words</div>
<span style="font-size:0">invisible spacer text</span>
</body></html>"""

# A shop's order confirmation: an outer layout table holding one table per item (image,
# title and variant, price) and a table of totals, labels left, amounts right-aligned.
RECEIPT = """<html><body><table class="body"><tr><td>
<table class="row content"><tr><td class="content__cell"><center>
<h2>Thank you for your purchase!</h2>
<p>Order #1042 &middot; placed December 7, 2026</p>
<table class="row"><tr><td class="order-list__item">
<table><tr>
<td><img src="https://cdn.shop.test/widget.png" width="60" height="60"></td>
<td class="product__description__wrapper"><span class="order-list__item-title">Blue Widget&nbsp;&times;&nbsp;2</span><br><span class="order-list__item-variant">Large</span></td>
<td class="order-list__price-cell" align="right"><p class="order-list__item-price">$40.00</p></td>
</tr></table></td></tr>
<tr><td class="order-list__item">
<table><tr>
<td><img src="https://cdn.shop.test/cable.png" width="60" height="60"></td>
<td class="product__description__wrapper"><span class="order-list__item-title">USB-C Cable&nbsp;&times;&nbsp;1</span></td>
<td class="order-list__price-cell" align="right"><p class="order-list__item-price">$9.50</p></td>
</tr></table></td></tr></table>
<table class="row subtotal-lines"><tr><td class="subtotal-spacer"></td><td>
<table class="row subtotal-table">
<tr class="subtotal-line"><td class="subtotal-line__title"><p><span>Subtotal</span></p></td><td class="subtotal-line__value" align="right"><strong>$49.50</strong></td></tr>
<tr class="subtotal-line"><td class="subtotal-line__title"><p><span>Shipping</span></p></td><td class="subtotal-line__value" align="right"><strong>$5.00</strong></td></tr>
<tr class="subtotal-line"><td class="subtotal-line__title"><p><span>Total</span></p></td><td class="subtotal-line__value" align="right"><strong>$54.50 USD</strong></td></tr>
</table></td></tr></table>
</center></td></tr></table>
</td></tr></table></body></html>"""

# Gmail: a reply whose new text holds a small table pasted from a spreadsheet.
GMAIL_TABLE_REPLY = """<div dir="ltr">Hi, the export is missing these rows:<br><br><table border="0" cellpadding="0" cellspacing="0" width="260" style="border-collapse:collapse;width:195pt"><colgroup><col width="130" span="2"></colgroup><tbody><tr height="20"><td height="20" width="130" style="height:15pt;width:98pt">Invoice</td><td width="130" style="width:98pt">Amount</td></tr><tr height="20"><td height="20" style="height:15pt">INV-2031</td><td align="right">1,200.00</td></tr><tr height="20"><td height="20" style="height:15pt">INV-2032</td><td align="right">85.10</td></tr></tbody></table><div><br></div><div>Thanks, Lina</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Dec 7, 2026 at 10:00&#8239;AM Acme Support &lt;<a href="mailto:support@acme.test">support@acme.test</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div>Which invoices are missing?</div></blockquote></div>"""

# Outlook (Word's HTML): a table of the customer's order details, then the quoted header block.
OUTLOOK_TABLE_REPLY = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta name="Generator" content="Microsoft Word 15 (filtered medium)"><style><!-- p.MsoNormal {margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;} --></style></head><body lang="EN-US"><div class="WordSection1"><p class="MsoNormal">Here are the details you asked for:<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;border:none"><tr><td width="150" valign="top" style="width:112.5pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"><p class="MsoNormal"><b>Order<o:p></o:p></b></p></td><td width="150" valign="top" style="width:112.5pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"><p class="MsoNormal">1042<o:p></o:p></p></td></tr><tr><td width="150" valign="top" style="width:112.5pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"><p class="MsoNormal"><b>Serial<o:p></o:p></b></p></td><td width="150" valign="top" style="width:112.5pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"><p class="MsoNormal">SN-77A-0193<o:p></o:p></p></td></tr></table><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Best regards,<br>Jonas<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>From:</b> Acme Support &lt;support@acme.test&gt;<br><b>Sent:</b> Monday, December 7, 2026 10:00 AM<br><b>To:</b> Jonas Weber &lt;jonas@kunde.test&gt;<br><b>Subject:</b> Your order<o:p></o:p></p></div><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Could you send the order number and serial?<o:p></o:p></p></div></body></html>"""

# Apple Mail: a reply with a two-column table, quoting our message in a blockquote.
APPLE_TABLE_REPLY = """<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">Both devices fail the same way:<div><br></div><div><table style="border-collapse: collapse;"><tbody><tr><td style="border: 1px solid rgb(0, 0, 0); padding: 2px;">iPhone 15</td><td style="border: 1px solid rgb(0, 0, 0); padding: 2px;">iOS 18.1</td></tr><tr><td style="border: 1px solid rgb(0, 0, 0); padding: 2px;">iPad Air</td><td style="border: 1px solid rgb(0, 0, 0); padding: 2px;">iPadOS 18.0</td></tr></tbody></table><div><br></div><div>Sami<br id="lineBreakAtBeginningOfSignature"><div><br><blockquote type="cite"><div>On 7 Dec 2026, at 10:00, Acme Support &lt;support@acme.test&gt; wrote:</div><br><div><div>Which devices are affected?</div></div></blockquote></div></div></div></body></html>"""
