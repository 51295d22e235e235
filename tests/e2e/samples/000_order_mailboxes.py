import requests

def order_mailboxes():
    url = "https://api.woodpecker.co/rest/v2/domains/mailboxes/order"
    headers = {
        "x-api-key": "{YOUR_API_KEY}",
        "Content-Type": "application/json"
    }
    payload = {
        "mailboxes": [
            {
                "first_name": "Richard",
                "last_name": "Hendricks",
                "email": "richard@piedpiper.com"
            }
        ]
    }
    response = requests.post(url, headers=headers, json=payload)
    if response.status_code == 202:
        return f"Mailbox order accepted: {response.status_code}"
    else:
        raise Exception(f"POST request failed: {response.status_code}, {response.text}")

if __name__ == "__main__":
    try:
        result = order_mailboxes()
        print("POST response:", result)
    except Exception as e:
        print("Error:", e)
