from tests.conftest import unique, wait_for_order


def test_order_one_domain_with_a_mailbox_until_ready(api_with_owner):
    api = api_with_owner
    domain = f"{unique('pp')}.com"
    response = api.post(
        "/rest/v2/domains/order",
        json={"provider": "GOOGLE", "domains": [domain], "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}"}]},
    )
    assert response.status_code == 202, response.text
    order = wait_for_order(api, response.json()["order_id"])
    assert order["status"] == "completed"
    detail = api.get(f"/rest/v2/domains/{domain}").json()
    assert detail["is_ready"] is True
    assert detail["all_mailboxes_are_ready"] is True
