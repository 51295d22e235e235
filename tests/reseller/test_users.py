"""Users (the reseller's end customers): create, list with pagination, get, replace, delete;
every problem named; another reseller's users never visible."""

from __future__ import annotations

import datetime as dt

from mailwright.clock import iso
from tests.conftest import unique
from tests.reseller.conftest import create_user, field_errors, user_fields


def test_create_returns_201_with_the_user(reseller):
    fields = user_fields(state="california", country="us")
    response = reseller.post("/users", json=fields)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == 201 and body["message"] == "User created successfully"
    data = body["data"]
    created = dt.datetime.fromisoformat(data.pop("createdAt").replace("Z", "+00:00"))
    assert abs((created - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 300
    data.pop("updatedAt")
    user_id = data.pop("userId")
    assert len(user_id) == 28
    assert data == {
        "email": fields["email"],
        "firstName": "Monica",
        "lastName": "Hall",
        "companyName": "Raviga",
        "phone": "+1.6505550123",
        "address": "2 Sand Hill Road",
        "city": "Menlo Park",
        "state": "CA",  # a state's name or ISO code is kept as addresses write it
        "country": "US",
    } | {"zipCode": "94025"}


def test_only_email_and_names_are_required(reseller):
    email = f"{unique('min')}@example.com"
    data = create_user(reseller, **{k: None for k in ("companyName", "phone", "address", "city", "state", "country", "zipCode")}, email=email)
    assert data["email"] == email and data["country"] is None and data["phone"] is None


def test_every_invalid_field_is_named(reseller):
    response = reseller.post(
        "/users",
        json={"email": "not-an-email", "firstName": "", "lastName": 7, "phone": "555", "country": "XX", "zipCode": "x" * 30},
    )
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "invalid_fields"
    assert field_errors(response) == {
        "email": "Valid format is email@example.com",
        "firstName": "Field is required",
        "lastName": "Must be a string",
        "phone": "Valid format is +1.5555555555",
        "country": "Valid format is a two-letter ISO 3166-1 country code, e.g. US",
        "zipCode": "Must be at most 20 characters",
    }


def test_state_must_belong_to_the_country(reseller):
    response = reseller.post("/users", json=user_fields(state="Bavaria", country="US"))
    assert response.status_code == 400
    assert field_errors(response) == {
        "state": "Must be a state of US, by its code or name (e.g. AL, Alabama)"
    }


def test_same_email_twice_is_409(reseller, user):
    response = reseller.post("/users", json=user_fields(email=user["email"]))
    assert response.status_code == 409
    assert response.json()["data"]["code"] == "user_exists"
    assert field_errors(response) == {"email": "A user with this email already exists"}


def test_two_resellers_may_each_have_a_user_with_the_same_email(reseller, other_reseller, user):
    create_user(other_reseller, email=user["email"])


def test_get_by_user_id(reseller, user):
    response = reseller.get("/users/details", params={"userId": user["userId"]})
    assert response.status_code == 200
    assert response.json() == {"status": 200, "message": "User fetched successfully", "data": user}


def test_a_call_needing_a_user_names_the_missing_user_id(reseller):
    for response in (reseller.get("/users/details"), reseller.put("/users", json=user_fields()), reseller.delete("/users")):
        assert response.status_code == 400
        assert field_errors(response) == {"userId": "Field is required"}


def test_unknown_user_is_404_naming_user_id(reseller):
    response = reseller.get("/users/details", params={"userId": "0" * 28})
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "User not found",
        "data": {"code": "not_found", "errors": [{"field": "userId", "message": "No such user"}], "requestId": response.headers["x-request-id"]},
    }


def test_another_resellers_user_is_never_visible(reseller, other_reseller, user):
    params = {"userId": user["userId"]}
    assert other_reseller.get("/users/details", params=params).status_code == 404
    assert other_reseller.put("/users", params=params, json=user_fields()).status_code == 404
    assert other_reseller.delete("/users", params=params).status_code == 404
    listed = other_reseller.get("/users").json()["data"]["users"]
    assert user["userId"] not in [u["userId"] for u in listed]
    # ... and it is untouched
    assert reseller.get("/users/details", params=params).json()["data"] == user


def test_put_replaces_the_user_as_a_whole(reseller, user):
    replacement = {"email": f"{unique('new')}@example.com", "firstName": "Laurie", "lastName": "Bream"}
    response = reseller.put("/users", params={"userId": user["userId"]}, json=replacement)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "User updated successfully"
    data = body["data"]
    assert data["userId"] == user["userId"] and data["createdAt"] == user["createdAt"]
    assert (data["email"], data["firstName"], data["lastName"]) == (replacement["email"], "Laurie", "Bream")
    assert data["companyName"] is None and data["country"] is None
    assert reseller.get("/users/details", params={"userId": user["userId"]}).json()["data"] == data


def test_put_names_every_invalid_field(reseller, user):
    response = reseller.put("/users", params={"userId": user["userId"]}, json={"email": "x", "country": "USA"})
    assert response.status_code == 400
    assert set(field_errors(response)) == {"email", "firstName", "lastName", "country"}


def test_put_cannot_take_another_users_email(reseller, user):
    second = create_user(reseller)
    response = reseller.put("/users", params={"userId": second["userId"]}, json=user_fields(email=user["email"]))
    assert response.status_code == 409
    # keeping one's own email is fine
    same = reseller.put("/users", params={"userId": user["userId"]}, json=user_fields(email=user["email"]))
    assert same.status_code == 200


def test_delete_then_gone_and_email_free_again(reseller, user):
    response = reseller.delete("/users", params={"userId": user["userId"]})
    assert response.status_code == 200
    assert response.json() == {"status": 200, "message": "User deleted successfully", "data": None}
    assert reseller.get("/users/details", params={"userId": user["userId"]}).status_code == 404
    assert reseller.delete("/users", params={"userId": user["userId"]}).status_code == 404
    create_user(reseller, email=user["email"])


def test_list_paginates(reseller):
    created = [create_user(reseller)["userId"] for _ in range(5)]
    first = reseller.get("/users", params={"limit": 2}).json()
    assert first["status"] == 200 and first["message"] == "Users fetched successfully"
    assert first["data"]["pagination"] == {"totalSearchedCount": 5, "currentPage": 1, "nextPage": 2, "totalPages": 3}
    pages = [first["data"]["users"]]
    for page in (2, 3):
        pages.append(reseller.get("/users", params={"limit": 2, "page": page}).json()["data"]["users"])
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [u["userId"] for p in pages for u in p] == created
    last = reseller.get("/users", params={"limit": 2, "page": 3}).json()["data"]["pagination"]
    assert last == {"totalSearchedCount": 5, "currentPage": 3, "nextPage": None, "totalPages": 3}
    beyond = reseller.get("/users", params={"limit": 2, "page": 9}).json()["data"]
    assert beyond == {"users": [], "pagination": {"totalSearchedCount": 5, "currentPage": 9, "nextPage": None, "totalPages": 3}}


def test_empty_list(reseller):
    assert reseller.get("/users").json()["data"] == {
        "users": [],
        "pagination": {"totalSearchedCount": 0, "currentPage": 1, "nextPage": None, "totalPages": 0},
    }


def test_timestamps_are_utc_iso(user):
    assert user["createdAt"] == iso(dt.datetime.fromisoformat(user["createdAt"].replace("Z", "+00:00")))
