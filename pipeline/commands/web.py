"""``veille web``: the built-in web app in the foreground; ``veille web start|stop|log`` in the background."""

from __future__ import annotations

import sys
import time

import typer

from pipeline.cli import app
from pipeline.settings import Settings, get_settings
from pipeline.stack import port_in_use, tail, web_process

web_app = typer.Typer(help="The built-in web app: dashboards, crisis alerts, inbox, competitor watch.",
                      invoke_without_command=True)
app.add_typer(web_app, name="web")


def web_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.web.host in ("0.0.0.0", "::", "") else settings.web.host
    return f"http://{host}:{settings.web.port}/"


def serve(settings: Settings) -> None:
    import uvicorn

    from pipeline.web.app import create_app

    # server_header off, and no access log of headers: the login token never reaches a log line.
    uvicorn.run(create_app(settings), host=settings.web.host, port=settings.web.port, log_level="info",
                server_header=False, proxy_headers=False, timeout_graceful_shutdown=3)


@web_app.callback()
def web_command(ctx: typer.Context) -> None:
    """Serve the web app in the foreground on VEILLE_WEB_HOST:VEILLE_WEB_PORT (default 127.0.0.1:8765)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings()
    if port_in_use(settings.web.port, "127.0.0.1"):
        typer.secho(f"error: port {settings.web.port} is already taken (another veille web?); "
                    f"choose another with VEILLE_WEB_PORT", fg="red", err=True)
        raise typer.Exit(1)
    serve(settings)


def start_in_background(settings: Settings, timeout: float = 30.0, env: dict[str, str] | None = None) -> int:
    """Start ``veille web`` detached (pid and log under the data dir) and wait until it answers.
    ``env``: VEILLE_* variables for the process when ``settings`` are not this process's own."""
    import httpx

    process = web_process(settings)
    running = process.pid()
    if running:
        return running
    if port_in_use(settings.web.port, "127.0.0.1"):
        raise RuntimeError(f"port {settings.web.port} is already taken by another program; "
                           f"choose another with VEILLE_WEB_PORT")
    pid = process.start([sys.executable, "-m", "pipeline", "web"], env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{web_url(settings)}healthz", timeout=1.0).status_code == 200:
                return pid
        except httpx.HTTPError:
            pass
        if process.pid() is None:
            raise RuntimeError(f"the web app stopped. Last lines of {process.log_file}:\n{tail(process.log_file)}")
        time.sleep(0.3)
    raise RuntimeError(f"the web app did not answer within {timeout:.0f}s; see {process.log_file}")


@web_app.command("start")
def web_start() -> None:
    """Start the web app in the background."""
    settings = get_settings()
    try:
        pid = start_in_background(settings)
    except RuntimeError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"web app on {web_url(settings)} (pid {pid}); log: {web_process(settings).log_file}")


@web_app.command("stop")
def web_stop() -> None:
    """Stop the background web app."""
    typer.echo("stopped" if web_process(get_settings()).stop() else "the web app was not running")


@web_app.command("log")
def web_log(lines: int = 40) -> None:
    """The last lines of the background web app's log."""
    typer.echo(tail(web_process(get_settings()).log_file, lines))
