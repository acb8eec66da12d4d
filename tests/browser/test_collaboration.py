"""Functional escalation in a browser: a network task, done by network, seen on the ticket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backline.escalation.models import Task
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_network_task_is_opened_done_by_network_and_shown_done(
    page, browser, live_server, l1_agent, l2_agent, app_support
):
    network = TeamFactory(name="Network & Infrastructure", tier=3)
    UserFactory(username="nina", first_name="Nina", last_name="Net", teams=[network])
    ticket = make_ticket(
        l1_agent, title="ERP sync times out every night", team=app_support, assignee=l2_agent
    )

    # Lena (L2) asks the network team for help from the ticket page.
    sign_in(page, "lena", PASSWORD)
    page.goto(ticket.get_absolute_url())
    tasks = page.locator("#tasks")
    expect(tasks).to_contain_text("No tasks.")
    tasks.get_by_text("Add task…").click()
    tasks.get_by_role("button", name="Add task").click()
    expect(tasks.locator(".field-error").first).to_contain_text("This field is required.")
    tasks.locator("#task-team").select_option(label="L3 Network & Infrastructure")
    tasks.get_by_label("Task", exact=True).fill("Check the firewall between ERP and sync host")
    tasks.locator("#task-description").fill("Connections to 10.0.4.12:5432 drop after 60 s.")
    tasks.get_by_role("button", name="Add task").click()
    task = tasks.locator(".task")
    expect(task).to_have_count(1)
    number = Task.objects.get().number
    expect(task).to_contain_text(number)
    expect(task).to_contain_text("Network & Infrastructure")
    expect(task.get_by_test_id("task-status")).to_have_text("Open")
    expect(tasks).to_contain_text("1 required open")
    expect(page.locator(".flashes")).to_contain_text(f"{number} opened for Network")

    # Nina (network) finds it among her team's tasks and marks it done with an outcome.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    nina = context.new_page()
    try:
        sign_in(nina, "nina", PASSWORD)
        nina.goto("/tasks/")
        expect(nina.locator("h1")).to_have_text("Team tasks")
        row = nina.locator(f'tr[data-task="{number}"]')
        expect(row).to_contain_text("Check the firewall between ERP and sync host")
        expect(row).to_contain_text(ticket.number)
        row.get_by_text("Done…").click()
        row.get_by_label("Outcome").fill("Idle timeout raised to 15 minutes on fw-core-2.")
        row.get_by_role("button", name=f"Mark {number} done").click()
        expect(nina.locator(".flashes")).to_contain_text(f"{number} is done.")
        expect(nina.locator("table.task-queue tbody")).to_contain_text("No open tasks")
    finally:
        context.close()

    # Back on the ticket, Lena sees the task done with its outcome.
    page.reload()
    task = page.locator("#tasks .task")
    expect(task.get_by_test_id("task-status")).to_have_text("Done")
    expect(task).to_contain_text("Idle timeout raised to 15 minutes")
    expect(page.locator("#tasks")).not_to_contain_text("required open")
