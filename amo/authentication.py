"""API authentication with the tokens people create on their account's API tokens page."""

from rest_framework import authentication, exceptions

from amo import services
from amo.errors import DomainError


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <secret>`, checked against amo.ApiToken (hashed, expiring, revocable).

    DRF's class parses the header and answers an anonymous request's 401 with
    `WWW-Authenticate: Token`; only the lookup is ours.
    """

    def authenticate_credentials(self, key):
        try:
            token = services.api_token_authenticate(secret=key)
        except DomainError as error:
            raise exceptions.AuthenticationFailed(error.message) from error
        return token.user, token
