"""Interop: the official MCP Python SDK client (`mcp` on PyPI) runs the whole authorization flow
against the server, unmodified: its OAuthClientProvider (mcp.client.auth) on the httpx2 client of
streamable_http_client does 401 -> RFC 9728 -> RFC 8414 -> RFC 7591 -> /authorize (PKCE S256,
resource) -> code exchange; Debian's Chromium (Playwright from PyPI, no browser download) signs in
and allows; then initialize, tools/list, tools/call get_user_data, and the SDK's refresh after the
server rejects an access token.

env: INTEROP_MCP_URL, INTEROP_AS_URL, INTEROP_USER, INTEROP_PASSWORD, INTEROP_CHROMIUM
Exits non-zero with a message on the first failed check. Run by tests/interop/run.sh.
"""

import asyncio
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from playwright.async_api import async_playwright

CLIENT_NAME = "Python SDK interop client"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"[interop-python] {name} is not set (run tests/interop/run.sh)")
    return value


MCP_URL = env("INTEROP_MCP_URL")
AS_URL = env("INTEROP_AS_URL")
USERNAME = env("INTEROP_USER")
PASSWORD = env("INTEROP_PASSWORD")
CHROMIUM = os.environ.get("INTEROP_CHROMIUM", "/usr/bin/chromium")
TOKEN_TTL = int(env("INTEROP_ACCESS_TOKEN_TTL"))


class InMemoryStorage:
    """The SDK's TokenStorage protocol, kept in memory for one run."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class LoopbackCallback:
    """The RFC 8252 loopback redirect target: hands the query of one /callback to asyncio."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.received: asyncio.Future[dict[str, str]] = loop.create_future()
        deliver = self._deliver(loop)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlsplit(self.path)
                if url.path != "/callback":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"You can close this window.")
                deliver({k: v[0] for k, v in parse_qs(url.query).items()})

            def log_message(self, *_args: object) -> None:  # the query holds the code: never log it
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _deliver(self, loop: asyncio.AbstractEventLoop):
        def deliver(params: dict[str, str]) -> None:
            loop.call_soon_threadsafe(lambda: self.received.done() or self.received.set_result(params))

        return deliver


async def sign_in_and_allow(authorization_url: str, callback_prefix: str) -> None:
    """Chromium as the user: login page, consent page (names this client), Allow."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(15_000)
            await page.goto(authorization_url)
            form = page.locator("form").filter(has=page.locator('input[name="password"]'))
            await form.locator('input[name="username"]').fill(USERNAME)
            await form.locator('input[name="password"]').fill(PASSWORD)
            await form.get_by_role("button", name="Sign in").click()
            await page.locator("h1", has_text="Authorize").wait_for()
            consent = await page.locator("body").inner_text()
            check(CLIENT_NAME in consent, f"consent page does not name the client: {consent}")
            async with page.expect_navigation(url=lambda url: url.startswith(callback_prefix)):
                await page.locator('button[name="decision"][value="allow"]').click()
        finally:
            await browser.close()


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


async def get_user_data(session: ClientSession) -> dict:
    result = await session.call_tool("get_user_data", {})
    check(not result.is_error, f"get_user_data failed: {result}")
    data = result.structured_content
    check(isinstance(data, dict), f"no structured content: {result}")
    check(data.get("username") == USERNAME, f"get_user_data returned another user's data: {data}")
    return data


async def run_session(http: httpx2.AsyncClient) -> dict:
    async with streamable_http_client(MCP_URL, http_client=http) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(bool(init.server_info.name), f"initialize: {init}")
            tools = await session.list_tools()
            names = [t.name for t in tools.tools]
            check("get_user_data" in names, f"tools/list: {names}")
            return await get_user_data(session)


async def main() -> None:
    loop = asyncio.get_running_loop()
    callback = LoopbackCallback(loop)
    storage = InMemoryStorage()
    opened: list[str] = []
    requests: list[str] = []

    async def redirect_handler(url: str) -> None:
        opened.append(url)
        await sign_in_and_allow(url, callback.redirect_uri)

    async def callback_handler() -> AuthorizationCodeResult:
        params = await asyncio.wait_for(callback.received, 30)
        check("error" not in params, f"authorization failed: {params}")
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    async def record(response: httpx2.Response) -> None:
        url = response.request.url
        requests.append(f"{response.request.method} {url.scheme}://{url.netloc.decode()}{url.path} {response.status_code}")

    metadata = OAuthClientMetadata(
        client_name=CLIENT_NAME,
        redirect_uris=[callback.redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    auth = OAuthClientProvider(MCP_URL, metadata, storage, redirect_handler, callback_handler)
    try:
        async with httpx2.AsyncClient(auth=auth, event_hooks={"response": [record]}) as http:
            data = await run_session(http)
        check(len(opened) == 1, f"the SDK opened the authorization URL {len(opened)} times")
        authorize = urlsplit(opened[0])
        query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
        check(f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{AS_URL}/authorize", opened[0])
        check(query.get("code_challenge_method") == "S256", f"PKCE S256: {query}")
        check(query.get("resource") == MCP_URL, f"resource indicator: {query}")
        params = callback.received.result()
        check(params.get("iss") == AS_URL, f"RFC 9207 iss: {params.get('iss')}")
        mcp = urlsplit(MCP_URL)
        for expected in (
            f"POST {MCP_URL} 401",
            f"GET {mcp.scheme}://{mcp.netloc}/.well-known/oauth-protected-resource{mcp.path} 200",
            f"GET {AS_URL}/.well-known/oauth-authorization-server 200",
            f"POST {AS_URL}/register 201",
            f"POST {AS_URL}/token 200",
        ):
            check(expected in requests, f'expected "{expected}" among the SDK\'s requests:\n' + "\n".join(requests))

        # Once the access token's expires_in has passed (run.sh: INTEROP_ACCESS_TOKEN_TTL) the SDK
        # refreshes before its next request, without a new browser authorization. (The server
        # itself tolerates 30 s of clock skew on `exp`, too long to wait for here.)
        tokens = storage.tokens
        check(tokens is not None and tokens.refresh_token is not None, "a refresh token was issued")
        check(tokens.expires_in == TOKEN_TTL, f"expires_in {tokens.expires_in}, server TTL {TOKEN_TTL}")
        await asyncio.sleep(TOKEN_TTL + 1)
        before = len(requests)
        async with httpx2.AsyncClient(auth=auth, event_hooks={"response": [record]}) as http:
            again = await run_session(http)
        refresh_run = requests[before:]
        check(refresh_run[0] == f"POST {AS_URL}/token 200", "the SDK refreshed first:\n" + "\n".join(refresh_run))
        check(not any(" 401" in r for r in refresh_run), "no request was refused:\n" + "\n".join(refresh_run))
        check(again["user_id"] == data["user_id"], f"same user after refresh: {again}")
        check(storage.tokens.access_token != tokens.access_token, "a new access token was saved")
        check(storage.tokens.refresh_token != tokens.refresh_token, "the refresh token was rotated")
        check(len(opened) == 1, "refresh needed no new browser authorization")
        print(f"[interop-python] ok: {USERNAME} ({data['user_id']}) via mcp {version()}, refresh ok")
    finally:
        callback.server.shutdown()


def version() -> str:
    from importlib.metadata import version as v

    return v("mcp")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except BaseException as error:  # noqa: BLE001 - report every failure, then exit non-zero
        if isinstance(error, SystemExit):
            raise
        import traceback

        traceback.print_exc()
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]  # anyio task groups wrap the one real failure
        sys.exit(f"[interop-python] FAILED: {error!r}"[:2000])
