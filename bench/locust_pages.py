"""Locust users for bench/pages.py: counter clerks and reviewers at work on a county's pages.

Started by bench/pages.py (`locust -f bench/locust_pages.py --headless …`); it reads the persons
and the staff to use from the JSON file named by PAGES_BENCH_DATA. Each clerk logs in once, then
looks a person up at the counter by resident ID (POST), opens person pages, and searches by name;
each reviewer opens the sponsorship queue waiting for review. Every answer must be 200 (a redirect
to the login page or an error page counts as a failure).
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, task

DATA = json.loads(open(os.environ["PAGES_BENCH_DATA"], encoding="utf-8").read())  # noqa: SIM115
PASSWORD = DATA["password"]
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)  # a person reads the page before the next click
    usernames: list[str] = []

    def on_start(self) -> None:
        username = self.usernames.pop() if self.usernames else random.choice(DATA["clerks"])
        page = self.client.get("/login/", name="login page")
        token = _CSRF.search(page.text).group(1)
        with self.client.post(
            "/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login",
            catch_response=True,
        ) as answer:
            if "/login/" in answer.url:
                answer.failure(f"{username} could not log in")

    def _form_token(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, catch_response=True) as page:
            found = _CSRF.search(page.text)
            if page.status_code != 200 or found is None or "/login/" in page.url:
                page.failure(f"no form at {path}")
                return None
            return found.group(1)


class Clerk(Staff):
    weight = 4
    usernames = list(DATA["clerks"])

    @task(4)
    def counter_lookup(self) -> None:
        token = self._form_token("/sponsorship/new/", "counter page")
        if token is None:
            return
        with self.client.post(
            "/sponsorship/new/",
            data={"id_no": random.choice(DATA["ids"]), "csrfmiddlewaretoken": token},
            name="counter look-up by resident ID",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or "/login/" in answer.url:
                answer.failure(f"HTTP {answer.status_code}")

    @task(4)
    def person_page(self) -> None:
        self.client.get(f"/persons/{random.choice(DATA['pks'])}/", name="person page")

    @task(2)
    def search_by_name(self) -> None:
        token = self._form_token("/persons/", "person list")
        if token is None:
            return
        with self.client.post(
            "/persons/",
            data={"q": random.choice(DATA["names"]), "csrfmiddlewaretoken": token},
            name="person search by name",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200 or "/login/" in answer.url:
                answer.failure(f"HTTP {answer.status_code}")


class Reviewer(Staff):
    weight = 1
    usernames = list(DATA["reviewers"])

    @task
    def review_queue(self) -> None:
        self.client.get("/sponsorship/?status=review", name="reviewer queue")
