"""The agency works in Chinese: a browser set to English still gets Chinese pages, unless
the user picks English with the language switch."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_login_page_is_chinese_whatever_the_browser_asks(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "城乡居民基本养老保险经办系统" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_english_when_the_user_chooses_it(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert "Resident pension agency system" in page
