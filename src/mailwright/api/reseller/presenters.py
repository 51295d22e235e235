"""Rows to this face's response bodies (camelCase, as the family names things)."""

from __future__ import annotations

from typing import Any

from mailwright.clock import iso
from mailwright.users.models import ResellerUser


def user_body(user: ResellerUser) -> dict[str, Any]:
    return {
        "userId": user.id,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "companyName": user.company_name,
        "phone": user.phone,
        "address": user.address,
        "city": user.city,
        "state": user.state,
        "country": user.country,
        "zipCode": user.zip_code,
        "createdAt": iso(user.created_at),
        "updatedAt": iso(user.updated_at),
    }
