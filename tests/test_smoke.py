def test_inventory_list_is_public(api_client, make_item):
    make_item(name="Brake pad")
    response = api_client.get("/inventory")
    assert response.status_code == 200
    assert response.json()[0]["name"] == "Brake pad"
