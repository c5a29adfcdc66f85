"""The shortest path through the API: the service is up, a public list answers, and a customer
signs up, signs in and reads their own record with the token."""

from conftest import CUSTOMER_PASSWORD, client_with_token


def test_health_check_answers_ok(api_client, db):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_inventory_list_is_public(api_client, make_item):
    make_item(name="Brake pad")
    response = api_client.get("/inventory")
    assert response.status_code == 200
    assert response.json()[0]["name"] == "Brake pad"


def test_sign_up_sign_in_and_read_ones_own_record(api_client, db):
    body = {"name": "Sam", "email": "sam@example.com", "phone": "555-0101", "password": CUSTOMER_PASSWORD}
    created = api_client.post("/customers", body, format="json")
    assert created.status_code == 201, created.content

    signed_in = api_client.post(
        "/customers/login", {"email": "sam@example.com", "password": CUSTOMER_PASSWORD}, format="json"
    )
    assert signed_in.status_code == 200, signed_in.content

    own = client_with_token(signed_in.json()["auth_token"]).get(f"/customers/{created.json()['id']}")
    assert own.status_code == 200
    assert own.json() == {"id": created.json()["id"], "name": "Sam", "email": "sam@example.com", "phone": "555-0101"}
