"""Who is calling: a bearer token from `[http] tokens`, or, with no tokens configured, the local
operator (the server then listens on loopback only, see `adapters.launch`)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from chatops.adapters.http.errors import ApiError
from chatops.bot.agent.policy import LOCAL, Policy
from chatops.bot.config import Config
from chatops.bot.model import Plan, UserRef

PLATFORM = "http"
OPERATOR = UserRef(platform=LOCAL, id="operator", name="operator")


class Callers:
    def __init__(self, config: Config, policy: Policy) -> None:
        self._tokens = [(name, secret.get_secret_value().encode()) for name, secret in config.http.tokens.items()]
        self._policy = policy
        self.approver_roles = set(config.policy.approve_write) | set(config.policy.approve_danger)

    @property
    def open(self) -> bool:
        """No tokens: everyone who reaches the (loopback) server is the operator."""
        return not self._tokens

    def identify(self, request: web.Request) -> UserRef:
        if self.open:
            return OPERATOR
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "send a token: Authorization: Bearer <token>",
                           headers={"WWW-Authenticate": 'Bearer realm="chatops"'})
        presented = token.strip().encode("utf-8", "surrogateescape")  # any bytes a client sends
        match = None
        for name, secret in self._tokens:  # compare with every token, so timing does not say which is close
            if hmac.compare_digest(presented, secret):
                match = name
        if match is None:
            raise ApiError(401, "that token is not valid here",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return UserRef(platform=PLATFORM, id=match, name=match)

    def owner_key(self, user: UserRef) -> str:
        """What a thread stores as its owner (`threads.channel`)."""
        return user.id

    def may_write(self, user: UserRef, owner: str) -> bool:
        """Only the owner posts in a thread (approvers read it to decide, they do not write in it)."""
        return self._policy.is_local_operator(user) or owner == self.owner_key(user)

    async def may_read(self, user: UserRef, owner: str, plans: Callable[[], Awaitable[list[Plan]]],
                       environment: Callable[[], Awaitable[bool]] | None = None) -> bool:
        """Owners read their threads; an approver reads another's thread when it holds a plan
        they are asked to decide (`plans` reads the thread's plans, only when that matters), and
        always when the environment opened it (an alert group, a schedule: `environment` says
        so): on-call people follow an incident before anything waits for them."""
        if self.may_write(user, owner):
            return True
        if not self._policy.roles_of(user) & self.approver_roles:
            return False
        if environment is not None and await environment():
            return True
        return any(self._policy.may_see(user, plan) for plan in await plans())
