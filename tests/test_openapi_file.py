"""docs/openapi.yaml is the schema /api/schema/ serves, so a partner can read the contract
without a running server (issue 17). When this fails, regenerate it: `make schema`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.factories import PolicyYearFactory, make_user

FILE = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


@pytest.mark.django_db
def test_the_published_file_is_the_served_schema(client):
    user = make_user("clerk", PolicyYearFactory().region)
    client.force_login(user)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    published = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    assert served == published, "docs/openapi.yaml is out of date: run `make schema` and commit it"


@pytest.mark.django_db
def test_every_operation_documents_its_errors_in_the_one_shape():
    published = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in published["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "400" in responses, (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == error or error in schema.get("allOf", []), (method, path, code)
            if operation.get("security") and {"401", "403"} - set(responses):
                pytest.fail(f"{method} {path} needs a credential but documents no 401/403")
            if "{" in path:
                assert "404" in responses, (method, path)
            if "401" in responses:
                assert "WWW-Authenticate" in responses["401"]["headers"], (method, path)
