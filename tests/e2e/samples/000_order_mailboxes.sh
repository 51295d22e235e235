curl --request POST \
--url "https://api.woodpecker.co/rest/v2/domains/mailboxes/order" \
--header "x-api-key: {YOUR_API_KEY}" \
--header "Content-Type: application/json" \
--data '{
"mailboxes": [
{
"first_name": "Richard",
"last_name": "Hendricks",
"email": "richard@piedpiper.com"
}
]
}'
