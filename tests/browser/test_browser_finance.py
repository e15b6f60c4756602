"""The Finance group in a real browser: your own cost lines added, filled and removed by keyboard only,
a bad amount in a row, the currency the results are shown in, and the group at phone width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="browser tests skipped: the Python package playwright is not installed")

from pagekit import SETTLED, NewPage, answer, field_id, is_recompute, recompute, settled, totals
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

Shot = Callable[[Page, str], Path]

ADD = "[data-add-extra]"
ROWS = "#extra-cost-rows fieldset.extra-cost"
ONE_TIME = 12_000
BUSY_MS = 5_000
"""How long the page may take to show an invalid recompute's messages (a valid one settles in well under 1 s)."""


def row_input(row: int, part: str) -> str:
    """`extra_costs.<row>.<part>`'s input (a strategy's checkbox for `strategies.<s>`)."""
    return "#extra_costs__" + f"{row}.{part}".replace(".", "__")


def row_error(row: int, part: str) -> str:
    return "#err-extra_costs__" + f"{row}.{part}".replace(".", "__")


def total_cell(strategy: str) -> str:
    return f".totals td[data-strategy={strategy}]"


def shown(amount: float, currency: str = "USD") -> str:
    """How the totals table writes a whole amount: '123,456 USD'."""
    return f"{amount:,.0f} {currency}"


FOCUS = """s => {
  const e = document.activeElement;
  return [!!e && e.matches(s), e ? e.id || e.textContent.trim().slice(0, 40) || e.tagName : 'nothing'];
}"""


def tab_to(page: Page, selector: str, limit: int = 80) -> list[str]:
    """Press Tab until the focused element matches `selector`; the stops on the way (ids, else texts)."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        there, where = page.evaluate(FOCUS, selector)
        seen.append(where)
        if there:
            return seen
    raise AssertionError(f"Tab never reached {selector}; focus went through {seen}")


def open_finance(page: Page) -> None:
    page.click("#group-finance > summary")
    expect(page.locator("#group-finance")).to_have_attribute("open", "")


def test_a_cost_line_by_keyboard_only(page: Page, screenshot: Shot) -> None:
    page.goto("/")
    settled(page)
    before = totals(page)
    assert set(before) == {"prompting", "rag", "fine_tuning"}, before

    # Open the Finance group from the keyboard, then Tab through its fields to "Add a cost line".
    page.locator("#group-finance > summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#group-finance")).to_have_attribute("open", "")
    seen = tab_to(page, ADD, limit=40)
    assert not any(s.startswith("f-") and not s.startswith("f-finance__") for s in seen), (
        f"Tab left the Finance group on the way to 'Add a cost line': {seen}"
    )
    expect(page.locator(ROWS)).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.locator(ROWS)).to_have_count(1)
    row = int(page.locator(ROWS).get_attribute("data-row") or "-1")
    assert row == 0, f"the first row is numbered {row}"
    expect(page.locator(row_input(row, "name"))).to_be_focused()
    for s in ("prompting", "rag", "fine_tuning"):  # a new line is paid by every strategy
        expect(page.locator(row_input(row, f"strategies.{s}"))).to_be_checked()

    # Name it, untick prompting and RAG with Space, type the one-time amount: fine-tuning alone pays it.
    page.keyboard.type("Security review")
    tab_to(page, row_input(row, "strategies.prompting"), limit=1)
    page.keyboard.press("Space")
    tab_to(page, row_input(row, "strategies.rag"), limit=1)
    page.keyboard.press("Space")
    tab_to(page, row_input(row, "strategies.fine_tuning"), limit=1)
    tab_to(page, row_input(row, "one_time_usd"), limit=3)
    page.keyboard.type(str(ONE_TIME))
    expect(page.locator(row_input(row, "strategies.prompting"))).not_to_be_checked()
    expect(page.locator(row_input(row, "strategies.rag"))).not_to_be_checked()
    expect(page.locator(row_input(row, "strategies.fine_tuning"))).to_be_checked()

    expect(page.locator(total_cell("fine_tuning"))).to_have_text(shown(before["fine_tuning"] + ONE_TIME))
    settled(page)
    with_line = totals(page)
    assert with_line == {**before, "fine_tuning": before["fine_tuning"] + ONE_TIME}, (before, with_line)
    expect(page.locator(row_input(row, "one_time_usd"))).to_be_focused()  # the recompute left focus alone
    screenshot(page, "finance-cost-line")

    # Remove it from the keyboard: the row goes, focus returns to "Add a cost line", and the totals with it.
    tab_to(page, f"fieldset.extra-cost[data-row='{row}'] [data-remove-extra]", limit=10)

    def remove() -> None:
        page.keyboard.press("Enter")

    recompute(page, remove)
    expect(page.locator(ROWS)).to_have_count(0)
    expect(page.locator(ADD)).to_be_focused()
    expect(page.locator(total_cell("fine_tuning"))).to_have_text(shown(before["fine_tuning"]))
    assert totals(page) == before


def test_a_bad_amount_in_a_row_keeps_the_last_results(page: Page) -> None:
    page.goto("/")
    settled(page)
    open_finance(page)
    page.click(ADD)
    expect(page.locator(ROWS)).to_have_count(1)
    recompute(page, lambda: page.fill(row_input(0, "name"), "Licence"))
    before = answer(page)
    amount = page.locator(row_input(0, "one_time_usd"))
    slot = page.locator(row_error(0, "one_time_usd"))

    # The answer says HX-Reswap: none and brings the error slots out of band; the page shows them at once.
    try:
        with page.expect_response(is_recompute, timeout=BUSY_MS) as info:
            amount.fill("abc")
        page.wait_for_function(SETTLED, timeout=BUSY_MS)
    except PlaywrightTimeout:
        pytest.fail(
            f"after 'abc' was typed in a cost line, the page did not report the recompute's answer and "
            f"settle within {BUSY_MS / 1000:g} s each (a valid recompute takes about 1 s): it froze",
            pytrace=False,
        )
    assert info.value.status == 200
    assert info.value.headers.get("hx-reswap") == "none", "an invalid form replaced the results"
    expect(slot).to_contain_text("not a number")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_value("abc")  # the typed text is kept
    expect(page.locator("#form-status")).to_contain_text("needs a fix")
    for part in ("name", "monthly_usd", "from_month"):  # the message is in its own slot, no other
        expect(page.locator(row_error(0, part))).to_have_text("")
    assert answer(page) == before, "a bad amount replaced the results"
    expect(page.locator("#banner")).to_be_hidden()

    recompute(page, lambda: amount.fill("1500"))
    expect(slot).to_have_text("")
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    after = totals(page)  # a new line is paid by every strategy
    assert after == {s: v + 1500 for s, v in before.totals.items()}, (before.totals, after)


def test_the_results_in_another_currency(page: Page) -> None:
    page.goto("/")
    settled(page)
    in_usd = totals(page)
    caption = page.locator(".totals caption")
    expect(caption).to_contain_text("in USD")
    open_finance(page)

    recompute(page, lambda: page.fill(field_id("finance.currency"), "EUR"))
    page.fill(field_id("finance.usd_to_currency"), "0.5")
    expect(caption).to_contain_text("in EUR (1 USD = 0.5 EUR, the scenario's rate)")
    settled(page)
    cells = page.locator(".totals td[data-strategy]")
    for text in cells.all_inner_texts():
        assert text.endswith(" EUR"), f"a total not in EUR: {text!r}"
    in_eur = totals(page)
    assert set(in_eur) == set(in_usd)
    for s, usd in in_usd.items():
        assert abs(in_eur[s] - usd / 2) <= 1, f"{s}: {in_eur[s]} EUR for {usd} USD at 0.5"


def test_the_finance_group_fits_a_phone_screen(new_page: NewPage, screenshot: Shot) -> None:
    page = new_page(viewport={"width": 375, "height": 800})
    page.goto("/")
    settled(page)
    open_finance(page)
    page.click(ADD)
    page.click(ADD)
    expect(page.locator(ROWS)).to_have_count(2)
    assert page.locator(ROWS).evaluate_all("els => els.map(e => e.dataset.row)") == ["0", "1"]
    recompute(page, lambda: page.fill(row_input(1, "name"), "A cost line with a long name, as finance writes them"))
    # Every range under the group unfolded too: an open one must not widen the page either.
    page.locator("#group-finance details").evaluate_all("els => els.forEach(d => d.open = true)")
    page.locator(row_input(1, "name")).scroll_into_view_if_needed()
    screenshot(page, "finance-375")
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"page {width[0]} px wide in a {width[1]} px window"
    wide = page.locator("#group-finance *").evaluate_all(
        """els => els.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                     .map(e => (e.id || e.tagName) + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    assert not wide, f"past the right edge at 375 px: {wide[:10]}"
