"""What staff do in the browser again and again, written once: log in, approve and watch the worker publish."""

import subprocess

from django.urls import reverse
from playwright.sync_api import expect

from tests.job_queue import run_queued_tasks
from tests.staff_world import PASSWORD


def log_in(page, username):
    page.goto(reverse("admin:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


def submit_for_approval(page, plan, comment: str):
    """An editor asks for approval of the plan's changes from its page, saying what they are."""
    page.goto(reverse("admin:plans_plan_change", args=[plan.pk]))
    page.fill("#id_comment", comment)
    page.click("#submit-button")
    expect(page.locator(".messagelist")).to_contain_text("の承認を申請しました")


def approve_and_publish(page, plan, number: int):
    """A publisher presses 承認して公開 on the plan's page: the panel says the version is being made, the job
    worker builds it (and typesets its 概要版), the job's page names the new 第N版 and the plan shows it 公開中."""
    page.goto(reverse("admin:plans_plan_change", args=[plan.pk]))
    page.click("#approve-button")
    expect(page.locator(".messagelist")).to_contain_text("公開版を作成しています。")
    job_page = page.url
    page.goto(reverse("admin:plans_plan_change", args=[plan.pk]))
    expect(page.locator("#approval-building")).to_contain_text("公開版を作成中です")
    run_queued_tasks()
    page.goto(job_page)
    expect(page.locator("#approval-done")).to_contain_text(f"第{number}版として公開しました。")
    page.click("text=計画の画面に戻る")
    expect(page.locator("#publication-state")).to_contain_text(f"公開中：第{number}版")


def pdf_text(data: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it, without line breaks or spaces."""
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return "".join(text.split())
