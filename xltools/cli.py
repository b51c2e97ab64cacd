"""The xltools command line: a thin, lazily-loaded layer over the library.

Each subcommand lives in xltools/commands/<name>.py and is imported only when it runs, so
`xltools --help` does not pay for pandas, pandera or openpyxl.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from . import __version__
from .errors import EXIT_CANNOT_WRITE, EXIT_INTERNAL, EXIT_INTERRUPTED, XltoolsError

# name -> the module of its command; the one-line help of each is xltools/texts/commands.toml
COMMANDS = {
    "editions": "xltools.commands.editions",
    "template": "xltools.commands.template",
    "validate": "xltools.commands.validate",
    "compile": "xltools.commands.compile",
    "merge": "xltools.commands.merge",
    "migrate": "xltools.commands.migrate",
    "rules": "xltools.commands.rules",
    "serve": "xltools.commands.serve",
    "audit": "xltools.commands.audit",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, mod in COMMANDS.items() if importlib.util.find_spec(mod) is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        try:
            module = importlib.import_module(COMMANDS[name])
        except ModuleNotFoundError:
            return None
        return module.command  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from . import texts

        rows = [(name, texts.text(f"commands.{name}")) for name in self.list_commands(ctx)]

        with formatter.section(texts.text("app.commands")):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xltools")
def cli() -> None:
    """xltools：部门预算信息公开工具。

    科室人员：用 template 生成的模板填写，validate 检查，compile 生成情况说明和公开表。
    财政局：template 下发模板，merge 汇总各部门工作簿。
    """


def _quiet_unraisable(unraisable: Any) -> None:
    """A writer that failed on a full disk is finalised later ('Exception ignored in ZipFile.__del__'): the
    failure was already reported in Chinese, so an OSError there is not printed again."""
    if isinstance(unraisable.exc_value, OSError):
        return
    sys.__unraisablehook__(unraisable)


def _children() -> list[int]:
    """Our child processes (Linux: every thread's, including a worker forked a moment ago and not yet known to
    its pool; elsewhere: the ones multiprocessing knows)."""
    import os

    pids: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as fh:
                pids += [int(p) for p in fh.read().split()]
        return pids
    except OSError:
        mp = sys.modules.get("multiprocessing")
        return [c.pid for c in mp.active_children() if c.pid] if mp is not None else []


def _interrupt_handler() -> Any:
    """Ctrl-C reaches the whole process group. The main process stops at once: it undoes the outputs not yet
    complete (outputs.abandon), ends its workers, says 已中断 and exits 130. Nothing is raised through
    library code: a KeyboardInterrupt in the middle of a process pool's bookkeeping can hang the exit or
    leave a worker behind. Forked workers inherit the handler and ignore the signal: the main process ends
    them."""
    import os
    import signal

    from . import texts

    main_pid = os.getpid()
    message = (texts.text("app.interrupted") + "\n").encode("utf-8")

    def on_sigint(signum: int, frame: Any) -> None:
        if os.getpid() != main_pid:
            return
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        from .outputs import abandon

        abandon()
        for pid in _children():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        os.write(2, message)
        os._exit(EXIT_INTERRUPTED)

    return on_sigint


def main(argv: list[str] | None = None) -> Any:
    """The entry point: every way out has a documented exit code (README, "退出代码") and a Chinese message."""
    import signal

    from . import texts

    sys.unraisablehook = _quiet_unraisable
    # The command line proper (argv None): Ctrl-C ends the process at once. Called with arguments (tests, a
    # host program), Ctrl-C stays a KeyboardInterrupt, handled below.
    if argv is None and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        try:
            signal.signal(signal.SIGINT, _interrupt_handler())
            if hasattr(signal, "pthread_sigmask"):  # a launcher that left Ctrl-C blocked would make it pend forever
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        except ValueError:  # not the main thread: keep Python's own handler
            pass
    try:
        rv = cli.main(args=argv, prog_name="xltools", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        if argv is None:  # the process ends here: a second Ctrl-C must not break the shutdown
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        # A host program keeps its own handler: an ignored Ctrl-C would be inherited by every process it starts.
        click.echo(texts.text("app.interrupted"), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except XltoolsError as e:
        click.echo(texts.text("app.error", message=str(e)), err=True)
        sys.exit(e.exit_code)
    except SystemExit:
        raise
    except Exception as e:  # an internal error: a short message, the traceback only on request
        from .outputs import WRITE_ERRNOS, cannot_write, os_error_in

        err = os_error_in(e)
        if err is not None and err.errno in WRITE_ERRNOS:  # the environment, reached where no writer caught it
            click.echo(texts.text("app.error", message=str(cannot_write(err.filename or "", err))), err=True)
            sys.exit(EXIT_CANNOT_WRITE)
        import os
        import traceback

        click.echo(texts.text("app.internal", error=f"{type(e).__name__}: {e}"), err=True)
        if os.environ.get("XLTOOLS_DEBUG"):
            traceback.print_exc()
        sys.exit(EXIT_INTERNAL)
    sys.exit(rv if isinstance(rv, int) else 0)
