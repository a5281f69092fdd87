"""The template picker shows the customer's language variant; Ctrl+L another; Arabic reads right to left."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Static

from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.tui.support import SIZE, demo_app, pilot_test, select_subject, settle, wait_until


def _head(screen: TemplatePickerScreen) -> str:
    return str(screen.query_one("#preview-head", Static).render())


def _body(screen: TemplatePickerScreen) -> str:
    return str(screen.query_one("#preview", Static).render())


async def _picker_for(
    pilot: Pilot[None], subject: str, ready: Callable[[TemplatePickerScreen], bool]
) -> TemplatePickerScreen:
    """Press r on the demo conversation ``subject``; the picker once ``ready`` says its preview is in."""
    await settle(pilot)
    await select_subject(pilot, subject)
    await pilot.press("r")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TemplatePickerScreen)
    await wait_until(pilot, lambda: ready(screen), rounds=1200)
    return screen


@pilot_test
async def test_a_german_customer_gets_the_german_variant_and_ctrl_l_switches() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _picker_for(
            pilot, "Datenschutzerklärung", lambda s: "acknowledge-investigating.de" in _head(s)
        )
        assert "Deutsch (de), the customer's language" in _head(screen)
        assert "Hallo Greta," in _body(screen)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "Hi Greta," in _body(screen) and "English (en)" in _head(screen)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "acknowledge-investigating.ar" in _head(screen)
        assert screen.query_one("#preview").has_class("rtl")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "Hallo Greta," in _body(screen)
        assert not screen.query_one("#preview").has_class("rtl")
        listed = [str(o.prompt) for o in screen.query_one("#templates").options]  # type: ignore[attr-defined]
        assert not any("acknowledge-investigating.de" in text for text in listed)  # one entry per template
        assert any("[ar de]" in text for text in listed)


@pilot_test
async def test_an_arabic_customer_gets_the_arabic_variant_right_to_left() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _picker_for(
            pilot, "لا يمكنني تسجيل الدخول", lambda s: "acknowledge-investigating.ar" in _head(s)
        )
        assert screen.query_one("#preview").has_class("rtl")
        assert "مرحباً" in _body(screen)
        await pilot.press("enter")
        await settle(pilot)
        assert "مرحباً" in app.screen.query_one("TextArea").text  # type: ignore[attr-defined]


@pilot_test
async def test_a_persian_customer_is_not_taken_for_an_arabic_one() -> None:
    """No Persian variant: the template as asked, and the picker says which language it saw."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _picker_for(
            pilot, "سؤال درباره‌ی فاکتور ماهانه", lambda s: "no variant in it" in _head(s)
        )
        assert "English (en); the customer writes فارسی (fa), no variant in it" in _head(screen)
        assert "acknowledge-investigating.ar" not in _head(screen)
        assert not screen.query_one("#preview").has_class("rtl")


@pilot_test
async def test_enter_before_the_language_is_read_writes_in_the_customer_language() -> None:
    """The first picker after start waits on the language model: until it answers, the head
    does not claim English, and Enter writes the reply in the customer's language once known.

    Before, the head said "English (en)" for those seconds and Enter wrote the English reply.
    """
    import threading

    app = demo_app()
    release = threading.Event()
    detect = app.service.template_variants

    def slow_detect(conversation_id: str, names: list[str]):  # type: ignore[no-untyped-def]
        release.wait(60)  # the model still loading
        return detect(conversation_id, names)

    app.service.template_variants = slow_detect  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "لا يمكنني تسجيل الدخول")
        await pilot.press("r")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, TemplatePickerScreen)
                and "acknowledge-investigating" in _head(app.screen)
            ),
        )
        screen = app.screen
        assert isinstance(screen, TemplatePickerScreen)
        assert "until the customer's language is read" in _head(screen), _head(screen)
        assert "English (en) ·" not in _head(screen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen  # no English reply written meanwhile
        release.set()
        await wait_until(pilot, lambda: app.screen is not screen, rounds=1200)
        assert "مرحباً" in app.screen.query_one("TextArea").text  # type: ignore[attr-defined]
