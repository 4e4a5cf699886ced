"""What every browser test does: log in with the `org` fixture's password, and look up the
Chinese of a UI string (failing when it has none, so a missing translation cannot hide)."""

from django.utils import translation

PASSWORD = "secret-pass-123"  # the `org` fixture's users


def log_in(page, base_url, username, password=PASSWORD):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=home-title]")


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        translated = translation.gettext(text)
    assert translated != text, f"no Chinese for {text!r}"
    return translated
