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
        since today yesterday morning tonight hour hours minute minutes ago now still again already right"""
    ),
    "de": _split(
        """aber alle als also am an auch auf aus bei bin bis bitte da damit dann das dass dem den der des die
        dies diese dieser doch du durch ein eine einem einen einer eines er es etwas für gibt hat hatte habe
        haben heute hier ich ihr im in ist ja jetzt kann kein keine man mein meine mich mir mit morgen muss
        nach nicht noch nur ob oder schon sehr seit sich sie sind so über um und uns unser unsere von vor war
        was wenn wer wie wieder wir wird zu zum zur gestern seit morgen"""
    ),
    "fr": _split(
        """a à au aux avec ce ces cette chez comme dans de des du elle en est et être il ils je la le les leur
        lui ma mais me même mes moi mon ne nos notre nous on ou où par pas plus pour qu que qui sa se ses si
        son sur ta te tes toi ton tu un une vos votre vous y ça ai as avons avez ont été fait depuis ce matin
        aujourd hui hier encore déjà chaque fois"""
    ),
    "es": _split(
        """a al algo como con de del desde el ella en es esta está este esto estoy hay la las le lo los me mi
        mis muy ni no nos nuestro o para pero por que qué se si sin su sus también te tengo tiene un una uno
        y ya yo hoy ayer mañana esta cada vez"""
    ),
    "pt": _split(
        """a ao as com como da das de do dos e é ela ele em entre era essa esse esta está eu foi há isso já
        mais mas me meu minha muito na nas não no nos o os ou para pela pelo por que se sem seu sua também
        te tem um uma você hoje ontem manhã desde cada vez"""
    ),
    "it": _split(
        "a al alla che con da del della di e è gli il in io la le lo ma mi mio non per più se si su un una"
    ),
    "nl": _split("de het een en van in is dat die niet op te met voor zijn ik we wij ons onze mijn maar ook"),
    "ar": _split(
        """في من على إلى الى عن مع هذا هذه ذلك التي الذي هل لا لم لن ما كان كانت أن ان إن او أو ثم قد كل منذ
        عند لدي لدينا لي لنا نحن انا أنا هو هي اليوم صباح امس أمس"""
    ),
    "fa": _split(
        """از به با در که این آن را و یا هم تا برای من ما شما او است هست بود شد می نمی هر امروز صبح دیروز
        ولی اما اگر چه یک"""
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
    hallo danke bitte hilfe problem fehler kaputt funktioniert geht nicht mehr seit
    bonjour merci aide problème erreur panne fonctionne marche plus souci
    hola gracias ayuda problema error funciona caído caido
    olá obrigado ajuda problema erro funciona
    مرحبا شكرا مشكلة خطأ يعمل
    سلام ممنون مشکل خطا کار نمی‌کند"""
)

# The product does not work: a problem report (and, unless minor, urgent).
STRONG_FAILURE = _phrases(
    """not working | doesn't work | does not work | don't work | stopped working | isn't working | is not working
    | broken | is down | are down | went down | is it down | outage | fails | failing | failed
    | keeps failing | crash | crashes | crashed | can't log in | cannot log in | can't login | unable to
    | blank page | blank screen | timeout | timeouts | times out | timed out | error 500 | error 502 | error 503
    | 500 error | 502 | 503 | 504 | bad gateway | service unavailable | not loading | won't load | never loads | never arrive | never arrives | never arrived | not arriving
    | doesn't arrive | didn't arrive | does not arrive | no email arrives | kommt nicht an | n'arrive pas | no llega | não chega
    | funktioniert nicht | geht nicht | kaputt | ausgefallen | fehlgeschlagen | stürzt ab
    | ne fonctionne pas | ne marche pas | ne fonctionne plus | en panne | plantage | échoue
    | no funciona | no anda | caído | caida | se cae | falla | fallando
    | não funciona | parou de funcionar | caiu | falha
    | لا يعمل | توقف | معطل | لا يفتح
    | کار نمی‌کند | کار نمیکند | از کار افتاده | قطع است"""
)
# An error or a bug is mentioned: attention, not urgency by itself.
WEAK_FAILURE = _phrases(
    """error | errors | bug | bugs | cannot | can't | can not | couldn't | issue | problem | wrong | glitch
    | fehler | problem | bug | erreur | problème | bogue | error | problema | erro | خطأ | مشكلة | خطا | مشکل"""
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
