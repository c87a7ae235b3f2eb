"""The whole journey in Chromium against `build.py serve`: a helper offers help in German and
confirms by the e-mail's link; a person asks in German; a moderator introduces the suggested
helper; the helper accepts by the e-mail's link; the person's e-mail names the helper; fourteen
days on, the follow-up arrives, its "yes" is recorded and the inbox's figures count it. No e-mail
carries the person's contact before the helper accepted."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import DevServer, first_sign_in, new_moderator, strings
from tests.browser.test_inbox_flow import ask
from tests.functions.helpers.world import by_purpose

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb, pytest.mark.slow]

MAIL_WAIT_SECONDS = 30


def mails_to(page: Page, address: str) -> list[dict[str, Any]]:
    """Every e-mail sent to `address` so far, newest first, from the development mailbox."""
    answer = page.request.get("/_dev/mail/messages.json")
    assert answer.ok
    return [mail for mail in answer.json() if address in mail["to"]]


def mail_to(page: Page, address: str, count: int) -> dict[str, Any]:
    """The newest e-mail to `address`, once `count` have arrived from the table's stream."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while time.monotonic() < deadline:
        found = mails_to(page, address)
        if len(found) >= count:
            return found[0]
        page.wait_for_timeout(100)
    pytest.fail(f"{count} e-mail(s) expected, found {len(mails_to(page, address))}")


def links(mail: dict[str, Any]) -> dict[str, str]:
    """The e-mail's links to the links' pages, by their purpose (or the follow-up's answer)."""
    return by_purpose(link["href"] for link in mail["links"])


def helped_this_month(page: Page) -> tuple[int, int]:
    """Introduced and helped in this month's row of the inbox's figures (the newest row)."""
    row = page.locator("#figures-rows tr").first
    expect(row.locator("td")).to_have_count(4)
    cells = row.locator("td").all_inner_texts()
    return int(cells[1]), int(cells[2])


def test_a_person_who_asked_is_introduced_to_a_helper_and_the_help_is_counted(
    context: BrowserContext, dev_server: DevServer
) -> None:
    marker = uuid.uuid4().hex[:8]
    helper_name, helper_email = f"Helga {marker}", f"helga-{marker}@example.de"
    asking_email = f"jonas-{marker}@example.de"
    page = context.new_page()

    # A helper offers help in German.
    page.goto("/de/offer-help/")
    page.fill("#name", helper_name)
    page.fill("#email", helper_email)
    page.check("#topics-business")
    expect(page.locator("#languages-de")).to_be_checked()
    page.check("#ways-mentoring")
    page.fill("#capacity", "2")
    page.check("#consent")
    page.click("form button[type=submit]")
    page.wait_for_url("**/de/offer-help/thanks/")

    # ...and confirms from the e-mail: the link opens a page, the button confirms.
    confirm_mail = mail_to(page, helper_email, 1)
    page.goto(links(confirm_mail)["confirm-offer"])
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text(strings("de")["links"]["confirm"]["done_title"])

    # A person asks in German.
    message = f"Ich möchte eine Bäckerei eröffnen und suche Rat ({marker})."
    ask(page, "de", asking_email, message, name="Jonas")
    (stored,) = dev_server.requests_from(asking_email)

    # A moderator signs in, picks the suggested helper and introduces them.
    inbox = context.new_page()
    inbox.goto("/admin/de/")
    first_sign_in(inbox, new_moderator(dev_server))
    introduced_before, helped_before = helped_this_month(inbox)
    inbox.goto(f"/admin/de/request/?id={stored['id']['S']}")
    expect(inbox.locator("#request")).to_be_visible()
    suggested = inbox.locator("#suggestions-list li").filter(has_text=marker)
    expect(suggested).to_have_count(1)
    texts = strings("de")["admin"]["helpers"]
    suggested.get_by_label(texts["note"]).fill("Sie hat selbst eine Bäckerei geführt.")
    suggested.get_by_role("button", name=texts["introduce"].replace("{name}", helper_name)).click()
    expect(inbox.locator("#admin-status")).to_have_text(
        texts["introduced"].replace("{name}", helper_name)
    )

    # The helper is asked, with the request's words but never the person's contact...
    asked = mail_to(page, helper_email, 2)
    assert message in asked["text"]
    assert "Sie hat selbst eine Bäckerei geführt." in asked["text"]
    assert mails_to(page, asking_email) == []
    for mail in mails_to(page, helper_email):
        assert asking_email not in json.dumps(mail)

    # ...and accepts from the e-mail.
    page.goto(links(asked)["accept-introduction"])
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text(strings("de")["links"]["accept"]["done_title"])

    # The person's e-mail names the helper; the helper gets the person's contact.
    introduced = mail_to(page, asking_email, 1)
    assert helper_name in introduced["text"]
    assert helper_email in introduced["text"]
    contact = mail_to(page, helper_email, 3)
    assert asking_email in contact["text"]

    # Fourteen days on, the follow-up arrives; the person answers yes.
    moved = page.request.post("/_dev/schedule?days=14")
    assert moved.ok, moved.text()
    assert moved.json()["follow_ups"] >= 1
    follow_up = mail_to(page, asking_email, 2)
    page.goto(links(follow_up)["yes"])
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.click("button[value=yes]")
    expect(page.locator("h1")).to_have_text(strings("de")["links"]["follow_up"]["done_title"])

    # The inbox counts the introduction and the help.
    inbox.goto("/admin/de/")
    expect(inbox.locator("#figures-rows tr").first.locator("td").nth(2)).to_have_text(
        str(helped_before + 1)
    )
    assert helped_this_month(inbox) == (introduced_before + 1, helped_before + 1)
    inbox.close()
    page.close()
