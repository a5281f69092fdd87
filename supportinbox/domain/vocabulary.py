"""Word lists the triage rules read, in the languages customers write in.

Each list is data, kept apart from the rules that use it: stop words per language (words
that say nothing about which problem a customer has), the wording of a failure (strong: the
product does not work; weak: an error or a bug is mentioned), of a minor matter, of a
closing thank-you, of a blocking impact, and of sales outreach.
Phrases are matched as whole words after folding (see :mod:`supportinbox.domain.keywords`).
"""

# ruff: noqa: E501 - word lists read best a language per line

from __future__ import annotations

import re


def _split(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\S+", text))


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split("|") if p.strip())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _split(
        """a about above after again all also am an and any are as at be been before being below both but by
        can could did do does doing done down during each few for from further had has have having he her here
        hers him his how i if in into is it its itself just let me more most my myself no nor not now of off on
        once only or other our ours out over own same she should so some such than that the their theirs them
        then there these they this those through to too under until up very was we were what when where which
        while who whom why will with would you your yours yourself yourselves im ive dont doesnt didnt cant
        cannot wont isnt arent wasnt couldnt get gets got getting one two any anyone everyone someone every
        since today yesterday morning tonight hour hours minute minutes ago now still again already right
        always never seems see saw receive received spins spinning something everything somebody anybody
        somehow
        can't don't doesn't didn't won't isn't aren't wasn't weren't couldn't wouldn't shouldn't haven't
        hasn't i'm i've i'd we're we've it's that's there's you're they're"""
    ),
    "de": _split(
        """aber alle als also am an auch auf aus bei bin bis bitte da damit dann das dass dem den der des die
        dies diese dieser doch du durch ein eine einem einen einer eines er es etwas für gibt hat hatte habe
        haben heute hier ich ihr im in ist ja jetzt kann kein keine man mein meine mich mir mit morgen muss
        nach nicht noch nur ob oder schon sehr seit sich sie sind so über um und uns unser unsere von vor war
        was wenn wer wie wieder wir wird zu zum zur gestern seit morgen bekomme bekommen erhalte erhalten
        immer versuche versucht beim vom ins sehr geehrte geehrter geehrtes damen herren liebe lieber kommt"""
    ),
    "fr": _split(
        """a à au aux avec ce ces cette chez comme dans de des du elle en est et être il ils je la le les leur
        lui ma mais me même mes moi mon ne nos notre nous on ou où par pas plus pour qu que qui sa se ses si
        son sur ta te tes toi ton tu un une vos votre vous y ça ai as avons avez ont été fait depuis ce matin
        aujourd hui hier encore déjà chaque fois avons avez essaie essaye essayé toujours reçois"""
    ),
    "es": _split(
        """a al algo como con de del desde el ella en es esta está este esto estoy hay la las le lo los me mi
        mis muy ni no nos nuestro o para pero por que qué se si sin su sus también te tengo tiene un una uno
        y ya yo hoy ayer mañana esta cada vez tenemos tengo sale salen intento intenté siempre"""
    ),
    "pt": _split(
        """a ao as com como da das de do dos e é ela ele em entre era essa esse esta está eu foi há isso já
        mais mas me meu minha muito na nas não no nos o os ou para pela pelo por que se sem seu sua também
        te tem um uma você hoje ontem manhã desde cada vez estamos estou recebo recebemos sempre tento
        tentei aparece"""
    ),
    "it": _split(
        "a al alla che con da del della di e è gli il in io la le lo ma mi mio non per più se si su un una"
    ),
    "nl": _split("de het een en van in is dat die niet op te met voor zijn ik we wij ons onze mijn maar ook"),
    "ar": _split(
        """في من على إلى الى عن مع هذا هذه ذلك التي الذي هل لا لم لن ما كان كانت أن ان إن او أو ثم قد كل منذ
        عند لدي لدينا لي لنا نحن انا أنا هو هي اليوم صباح امس أمس يظهر تظهر كلما حاولت أحاول دائما"""
    ),
    "fa": _split(
        """از به با در که این آن را و یا هم تا برای من ما شما او است هست بود شد می نمی هر امروز صبح دیروز
        ولی اما اگر چه یک می‌گیرم می‌خواهم دارم داریم همیشه بار هنگام وقتی"""
    ),
}

# Words of support mail that say nothing about *which* problem it is.
GENERIC = _split(
    """hi hello hey dear thanks thank please help support team problem problems issue issues question
    questions request urgent asap error errors fail fails failed failing work works working worked broken
    break wrong bug bugs crash crashes down outage not anymore anything nothing happens happen happening
    keeps keep try tried trying use using used time times everyone whole blocked page screen same result
    again yet side your our we us customer customers account since about around seem seems there
    regards best cheers kind thing
    hallo danke bitte hilfe problem fehler kaputt funktioniert funktionieren geht gehen nicht mehr seit
    ankommen
    bonjour merci aide problème erreur panne fonctionne fonctionnent fonctionner marche marchent plus
    souci arrive arrivent
    hola gracias ayuda problema error funciona funcionan funcionar caído caido llega llegan
    olá obrigado ajuda problema erro funciona funcionam funcionar chega chegam
    مرحبا شكرا مشكلة خطأ يعمل تعمل
    سلام ممنون مشکل خطا خطای کار نمی‌کند"""
)

# The product does not work: a problem report (and, unless minor, urgent).
STRONG_FAILURE = _phrases(
    """not working | doesn't work | does not work | don't work | stopped working | isn't working | is not working
    | broken | is down | are down | went down | is it down | outage | fails | failing | failed
    | keeps failing | crash | crashes | crashed | can't log in | cannot log in | can't login | unable to
    | can't use | cannot use | can not use
    | blank page | blank screen | timeout | timeouts | times out | timed out | error 500 | error 502 | error 503
    | 500 error | 502 | 503 | 504 | bad gateway | service unavailable | not loading | won't load | never loads | never arrive | never arrives | never arrived | not arriving
    | doesn't arrive | didn't arrive | does not arrive | no email arrives | kommt nicht an | n'arrive pas | no llega | não chega
    | n'arrive plus | n'arrivent plus | kommen nicht an | n'arrivent pas | no llegan | não chegam | ne fonctionnent pas | no funcionan | não funcionam
    | funktionieren nicht
    | funktioniert nicht | geht nicht | kaputt | ausgefallen | fehlgeschlagen | stürzt ab
    | ne fonctionne pas | ne marche pas | ne fonctionne plus | en panne | plantage | échoue
    | no funciona | no anda | caído | caida | se cae | falla | fallando
    | não funciona | parou de funcionar | caiu | falha
    | لا يعمل | لا تعمل | توقف | توقفت | معطل | معطلة | لا يفتح | لا تفتح
    | leere seite | leerer bildschirm | weiße seite | page blanche | écran blanc | página en blanco
    | pantalla en blanco | página em branco | tela em branco | pagina bianca | pagina vuota
    | schermata bianca | lege pagina | leeg scherm | wit scherm | صفحة فارغة | شاشة بيضاء
    | صفحه سفید | صفحه خالی
    | کار نمی‌کند | کار نمیکند | از کار افتاده | قطع است"""
)
# An error or a bug is mentioned, or a symptom ("lost", "missing", "on your side"): attention,
# not urgency by itself.
# Of those, the words that say something errors (not "cannot find", "wrong", "missing").
ERROR_MENTION = _phrases(
    """error | errors | bug | bugs | issue | problem | glitch
    | fehler | problem | bug | erreur | problème | bogue | error | problema | erro | خطأ | مشكلة | خطا | مشکل"""
)
WEAK_FAILURE = ERROR_MENTION + _phrases(
    """cannot | can't | can not | couldn't | wrong
    | kann nicht | kann ich nicht | können nicht | können wir nicht | lässt sich nicht | impossible
    | no puedo | no podemos | imposible | não consigo | não conseguimos
    | impossível | لا يمكنني | لا أستطيع | لا استطيع | لا نستطيع | نمی‌توانم | نمیتوانم | نمی‌توانیم
    | lost | disappear | disappears | disappeared | vanish | vanishes | vanished | missing | stuck | hangs
    | frozen | freezes | empty | blank | nothing happens | nothing shows | never shows | never show up
    | on your side | on your end
    | verschwunden | verschwindet | verschwinden | fehlt | fehlen | hängt | leer | eingefroren
    | passiert nichts | bei euch
    | disparu | disparus | disparue | disparaît | disparaissent | manquant | manquent | bloqué | vide | figé
    | rien ne se passe | chez vous
    | desaparece | desaparecen | desaparecido | faltan | vacío | vacía | atascado | congelado | no pasa nada
    | desaparecem | sumiu | sumiram | faltando | vazio | vazia | travado | congelado | nada acontece
    | اختفى | اختفت | يختفي | تختفي | مفقود | مفقودة | فارغ | فارغة | عالق | لا يظهر | لا تظهر
    | ناپدید | گم | خالی | گیر کرده | نمایش نمی‌دهد | ظاهر نمی‌شود"""
)
# The customer says the matter is small: a failure word does not make it urgent.
MINOR = _phrases(
    """not urgent | no rush | no hurry | minor | small thing | tiny | small bug | just fyi | fyi | heads up
    | typo | cosmetic | nothing urgent | when you have time | low priority | rien d'urgent | pas urgent
    | nicht dringend | kein stress | nur als hinweis | sin prisa | no es urgente | sem pressa | não é urgente"""
)
# The failure blocks people: with a strong failure, urgent.
BLOCKING = _phrases(
    """everyone | every time | each time | whole team | all of us | entire team | nobody can | blocked
    | at all | since this morning | since today | since about | for everyone | all users | production
    | keeps | again and again | demo | deadline | customers are | seit heute | seit heute morgen | bei allen
    | jedes mal | depuis ce matin | à chaque fois | tout le monde | bloqués | desde esta mañana | cada vez
    | a nadie | todos | desde hoje | sempre que | منذ صباح | كلما | از امروز صبح | هر بار"""
)
# A closing thank-you: the customer says it is solved.
RESOLVED = _phrases(
    """thanks | thank you | thx | cheers | works again | working again | works now | all good | resolved
    | fixed | solved | back to normal | perfect | great | got it | danke | vielen dank | geht wieder
    | funktioniert wieder | merci | ça marche | fonctionne à nouveau | parfait | gracias | ya funciona
    | perfecto | obrigado | obrigada | já funciona | شكرا | شكراً | تم الحل | ممنون | درست شد | مرسی"""
)
# Sales outreach: the writer wants something from us, not our help.
OUTREACH = _phrases(
    """quick call | 15-minute call | 15 minute call | quick chat | worth a chat | book a demo | our deck
    | partnership | free audit | seo | google ranking | stop hearing from me | opt out | reply 'no thanks'
    | reply no thanks | growth lead | reduce your | cut response times | who handles | decision maker"""
)
# The writer speaks of their own account with us ("my invoice", "our plan").
FIRST_PERSON = _split(
    """i i'm i've my me we our us mine ich mein meine meinen meiner mir mich wir unser unsere uns je j'ai mon
    ma mes moi nous notre nos yo mi mis me nosotros nuestro nuestra nuestros eu meu minha meus nós nosso nossa
    من ما"""
)

# Product words customers name a feature by, in their language, keyed by the English word:
# a report in Arabic and one in English about the same feature then share its stem. A
# general software-product glossary, written for every language we stem, not from any
# one product.
# Words that mean two things in a language (Persian "اشتراک": subscription and sharing)
# are left out there.
# fmt: off
PRODUCT_TERMS: dict[str, dict[str, str]] = {
    "login": {"de": "login anmeldung einloggen anmelden", "fr": "connexion connecter", "es": "sesión iniciar", "pt": "login entrar", "it": "accesso accedere", "nl": "inloggen aanmelden", "ar": "تسجيل الدخول", "fa": "ورود لاگین"},
    "password": {"de": "passwort kennwort", "fr": "passe", "es": "contraseña", "pt": "senha", "it": "password", "nl": "wachtwoord", "ar": "المرور", "fa": "رمز گذرواژه"},
    "account": {"de": "konto", "fr": "compte", "es": "cuenta", "pt": "conta", "it": "account", "nl": "account", "ar": "حساب", "fa": "حساب"},
    "user": {"de": "benutzer nutzer", "fr": "utilisateur", "es": "usuario", "pt": "usuário", "it": "utente", "nl": "gebruiker", "ar": "مستخدم", "fa": "کاربر"},
    "permission": {"de": "berechtigung", "fr": "autorisation", "es": "permiso", "pt": "permissão", "it": "permesso", "nl": "rechten", "ar": "صلاحية", "fa": "مجوز"},
    "setting": {"de": "einstellung", "fr": "paramètre réglage", "es": "configuración ajuste", "pt": "configuração", "it": "impostazione", "nl": "instelling", "ar": "إعدادات", "fa": "تنظیمات"},
    "search": {"de": "suche suchen", "fr": "recherche rechercher", "es": "búsqueda buscar", "pt": "pesquisa pesquisar busca", "it": "ricerca cercare", "nl": "zoeken zoekfunctie", "ar": "البحث", "fa": "جستجو"},
    "report": {"de": "bericht", "fr": "rapport", "es": "informe reporte", "pt": "relatório", "it": "rapporto", "nl": "rapport rapportage", "ar": "تقرير تقارير", "fa": "گزارش"},
    "schedule": {"de": "geplant zeitplan", "fr": "planifié programmé", "es": "programado programar", "pt": "agendado agendar", "it": "pianificato programmato", "nl": "gepland", "ar": "مجدول جدولة", "fa": "زمان‌بندی"},
    "export": {"de": "export exportieren", "fr": "export exporter", "es": "exportación exportar", "pt": "exportação exportar", "it": "esportazione esportare", "nl": "exporteren", "ar": "تصدير", "fa": "خروجی"},
    "import": {"de": "import importieren", "fr": "import importer", "es": "importación importar", "pt": "importação importar", "it": "importazione importare", "nl": "importeren", "ar": "استيراد", "fa": "ایمپورت"},
    "download": {"de": "herunterladen", "fr": "téléchargement télécharger", "es": "descarga descargar", "pt": "baixar", "it": "scaricare", "nl": "downloaden", "ar": "تنزيل", "fa": "دانلود"},
    "upload": {"de": "hochladen", "fr": "téléverser", "es": "subir", "pt": "carregar", "it": "caricare caricamento", "nl": "uploaden", "ar": "رفع", "fa": "آپلود"},
    "file": {"de": "datei", "fr": "fichier", "es": "archivo", "pt": "arquivo ficheiro", "it": "file", "nl": "bestand", "ar": "ملف", "fa": "فایل پرونده"},
    "document": {"de": "dokument", "fr": "document", "es": "documento", "pt": "documento", "it": "documento", "nl": "document", "ar": "مستند", "fa": "سند"},
    "image": {"de": "bild", "fr": "image", "es": "imagen", "pt": "imagem", "it": "immagine", "nl": "afbeelding", "ar": "صورة صور", "fa": "تصویر تصاویر عکس"},
    "thumbnail": {"de": "vorschaubild miniaturansicht", "fr": "miniature vignette", "es": "miniatura", "pt": "miniatura", "it": "miniatura", "nl": "miniatuur", "ar": "مصغرة", "fa": "بندانگشتی"},
    "attachment": {"de": "anhang", "fr": "jointe", "es": "adjunto", "pt": "anexo", "it": "allegato", "nl": "bijlage", "ar": "مرفق", "fa": "پیوست"},
    "print": {"de": "drucken", "fr": "impression imprimer", "es": "imprimir", "pt": "imprimir", "it": "stampa stampare", "nl": "afdrukken", "ar": "طباعة", "fa": "چاپ"},
    "invoice": {"de": "rechnung", "fr": "facture", "es": "factura", "pt": "fatura", "it": "fattura", "nl": "factuur", "ar": "فاتورة فواتير", "fa": "فاکتور صورتحساب"},
    "payment": {"de": "zahlung bezahlen", "fr": "paiement payer", "es": "pago pagar", "pt": "pagamento pagar", "it": "pagamento pagare", "nl": "betaling betalen", "ar": "دفع", "fa": "پرداخت"},
    "subscription": {"de": "abonnement", "fr": "abonnement", "es": "suscripción", "pt": "assinatura", "it": "abbonamento", "nl": "abonnement", "ar": "اشتراك"},
    "order": {"de": "bestellung", "fr": "commande", "es": "pedido", "pt": "pedido", "it": "ordine", "nl": "bestelling", "ar": "طلب", "fa": "سفارش"},
    "notification": {"de": "benachrichtigung", "fr": "notification", "es": "notificación", "pt": "notificação", "it": "notifica", "nl": "melding", "ar": "إشعار", "fa": "اعلان"},
    "email": {"de": "e-mail", "fr": "courriel e-mail", "es": "correo", "pt": "e-mail", "it": "email", "nl": "e-mail", "ar": "بريد", "fa": "ایمیل"},
    "message": {"de": "nachricht", "fr": "message", "es": "mensaje", "pt": "mensagem", "it": "messaggio", "nl": "bericht", "ar": "رسالة", "fa": "پیام"},
    "chat": {"de": "chat", "fr": "discussion", "es": "chat", "pt": "bate-papo", "it": "chat", "nl": "chat", "ar": "دردشة", "fa": "چت"},
    "call": {"de": "anruf", "fr": "appel", "es": "llamada", "pt": "chamada", "it": "chiamata", "nl": "oproep", "ar": "مكالمة", "fa": "تماس"},
    "video": {"de": "video", "fr": "vidéo", "es": "vídeo", "pt": "vídeo", "it": "video", "nl": "video", "ar": "فيديو", "fa": "ویدیو"},
    "sync": {"de": "synchronisierung synchronisieren", "fr": "synchronisation synchroniser", "es": "sincronización sincronizar", "pt": "sincronização sincronizar", "it": "sincronizzazione sincronizzare", "nl": "synchronisatie synchroniseren", "ar": "مزامنة", "fa": "همگام‌سازی"},
    "mobile": {"de": "mobil handy", "fr": "mobile", "es": "móvil", "pt": "celular móvel", "it": "cellulare", "nl": "mobiel", "ar": "الجوال", "fa": "موبایل"},
    "app": {"de": "app", "fr": "appli", "es": "aplicación", "pt": "aplicativo", "it": "app", "nl": "app", "ar": "تطبيق", "fa": "اپلیکیشن"},
    "calendar": {"de": "kalender", "fr": "calendrier agenda", "es": "calendario", "pt": "calendário agenda", "it": "calendario", "nl": "agenda kalender", "ar": "تقويم", "fa": "تقویم"},
    "integration": {"de": "integration", "fr": "intégration", "es": "integración", "pt": "integração", "it": "integrazione", "nl": "integratie", "ar": "تكامل", "fa": "یکپارچه‌سازی"},
    "dashboard": {"de": "dashboard", "fr": "tableau", "es": "panel", "pt": "painel", "it": "cruscotto", "nl": "dashboard", "ar": "لوحة", "fa": "داشبورد"},
    "page": {"de": "seite", "fr": "page", "es": "página", "pt": "página", "it": "pagina", "nl": "pagina", "ar": "صفحة", "fa": "صفحه"},
    "team": {"de": "team", "fr": "équipe", "es": "equipo", "pt": "equipe", "it": "squadra", "nl": "team", "ar": "فريق", "fa": "تیم"},
    "invite": {"de": "einladung einladen", "fr": "invitation inviter", "es": "invitación invitar", "pt": "convite convidar", "it": "invito invitare", "nl": "uitnodiging uitnodigen", "ar": "دعوة", "fa": "دعوت"},
    "project": {"de": "projekt", "fr": "projet", "es": "proyecto", "pt": "projeto", "it": "progetto", "nl": "project", "ar": "مشروع", "fa": "پروژه"},
    "backup": {"de": "sicherung", "fr": "sauvegarde", "es": "respaldo", "pt": "backup", "it": "backup", "nl": "back-up", "ar": "احتياطي", "fa": "پشتیبان"},
    "language": {"de": "sprache", "fr": "langue", "es": "idioma", "pt": "idioma", "it": "lingua", "nl": "taal", "ar": "لغة", "fa": "زبان"},
    "link": {"de": "link", "fr": "lien", "es": "enlace", "pt": "link", "it": "collegamento", "nl": "link", "ar": "رابط", "fa": "لینک"},
}
# fmt: on
