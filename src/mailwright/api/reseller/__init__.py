"""The ColdMailReseller-style integration API: /api/v1/integration, key in `cmr-x-api-key`, every
answer in the envelope {status, message, data}. A translator over the same services as the
Woodpecker-style face: parse, authenticate, call a service, shape the answer."""

PREFIX = "/api/v1/integration"
