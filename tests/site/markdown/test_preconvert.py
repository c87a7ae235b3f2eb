"""Markdown converted ahead, on other cores, while the content is read."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from sitegen.content import load
from sitegen.errors import ContentError, Problem
from sitegen.incremental import builder, noop, pagework
from sitegen.incremental.builder import build_site
from sitegen.markdown import preconvert
from sitegen.markdown.cache import MarkdownCache
from sitegen.markdown.preconvert import Preconverter, convert_into_cache
from sitegen.markdown.texts import converted as render_markdown
from sitegen.markdown.texts import keyed_text, markdown_key
from sitegen.options import BuildOptions
from sitegen.parallel import MIN_PARALLEL, parked_workers
from sitegen.render import emails
from tests.site.incremental.test_builder import snapshot
from tests.site.incremental.test_noop import LOADED

ROOT = Path(__file__).resolve().parents[3]


def _story(number: int) -> str:
    return (
        f"---\ntitle: Story {number}\ndate: 2020-01-{number % 28 + 1:02d}\n"
        f"summary: Summary {number}.\ntags: [jobs]\n---\n"
        f"## Part {number}\n\nSomeone *asked* for help, **{number}** times.\n"
    )


def _write_stories(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"story-{number:03d}.md"
        path.write_text(_story(number), "utf-8")
        paths.append(path)
    return paths


def _body(number: int) -> str:
    return _story(number).split("---\n", 2)[2]


def test_every_readable_file_lands_in_the_cache_as_the_page_would_convert_it(
    tmp_path: Path,
) -> None:
    paths = _write_stories(tmp_path / "stories", 3)
    broken = tmp_path / "stories" / "no-front-matter.md"
    broken.write_text("# Just a heading\n", "utf-8")
    latin1 = tmp_path / "stories" / "latin1.md"
    latin1.write_bytes("---\ntitle: Caf\xe9\n---\nBody\n".encode("latin-1"))
    plain = tmp_path / "stories" / "plain.md"
    plain.write_text("---\ntitle: Plain\n---\nWords, and nothing else.\n", "utf-8")
    files = [*paths, broken, latin1, plain, tmp_path / "gone.md"]
    convert_into_cache(files, tmp_path / "cache")
    cache = MarkdownCache(tmp_path / "cache")
    try:
        for number in range(3):
            assert cache.get(markdown_key(_body(number))) == render_markdown(_body(number))
        assert cache.get(markdown_key("# Just a heading\n")) is None
        assert cache.get(markdown_key("Body\n")) is None
        # Plain paragraphs too: a page holding its document without the text finds them.
        plain_text = "Words, and nothing else.\n"
        assert cache.get(markdown_key(plain_text)) == render_markdown(plain_text)
        assert cache.get(markdown_key(plain_text)) == "<p>Words, and nothing else.</p>"
    finally:
        cache.close()


def test_a_process_converts_the_documents_it_read_without_reading_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "tests" / "site" / "fixture", content)
    paths = _write_stories(content / "stories", 4)
    broken = content / "stories" / "no-title.md"
    broken.write_text("---\nsummary: No title.\n---\nWords of a story without a title.\n", "utf-8")
    # The main process's share, two runs of it taken from the pipe.
    others = [tmp_path / f"other-{number}.md" for number in range(2 * preconvert.CHUNK)]
    for number, other in enumerate(others):
        other.write_text(f"---\ntitle: Other\n---\nAnother text, number {number}.\n", "utf-8")
    runs = preconvert._runs(len(others))
    read_again: list[Path] = []

    def recorded(path: Path) -> tuple[str, str] | None:
        read_again.append(path)
        return keyed_text(path)

    monkeypatch.setattr(preconvert, "keyed_text", recorded)
    reader, writer = multiprocessing.Pipe(duplex=False)
    convert_into_cache(others, tmp_path / "cache", (content, [*paths, broken], writer), runs)
    loaded = reader.recv()
    assert set(loaded.keys) == set(paths)
    # Read once, for the main process; only the files of the runs, each once, and the one
    # whose document could not be read, are read again.
    assert sorted(read_again) == sorted([broken, *others])
    cache = MarkdownCache(tmp_path / "cache")
    try:
        for number in range(4):
            assert cache.get(markdown_key(_body(number))) == render_markdown(_body(number))
        text = "Words of a story without a title.\n"
        assert cache.get(markdown_key(text)) == render_markdown(text)
        others_texts = [f"Another text, number {number}.\n" for number in range(len(others))]
        assert len(cache.get_many(map(markdown_key, others_texts))) == len(others)
    finally:
        cache.close()


def test_processes_sharing_the_files_take_each_once_whoever_is_faster(tmp_path: Path) -> None:
    paths = [tmp_path / f"{number}.md" for number in range(5 * preconvert.CHUNK + 3)]
    pipe, length = preconvert._runs(len(paths))
    assert length == preconvert.CHUNK
    fast = preconvert._taken(paths, pipe, length)
    slow = preconvert._taken(paths, os.dup(pipe), length)
    first = [next(slow)]
    quick = list(fast)
    rest = first + list(slow)
    assert sorted(quick + rest) == sorted(paths)
    assert len(rest) == length  # the one run it took before the other took all the rest
    # Runs grow with the files, so that all their starts fit into the pipe at once.
    many = 100 * preconvert.MOST_RUNS
    pipe, length = preconvert._runs(many)
    assert length == 100
    everything = [Path(str(number)) for number in range(many)]
    assert sum(1 for _ in preconvert._taken(everything, pipe, length)) == many


def test_processes_start_only_for_enough_files_and_more_than_one_core(tmp_path: Path) -> None:
    names = [str(path) for path in _write_stories(tmp_path / "stories", MIN_PARALLEL)]
    assert Preconverter.start(names[:-1], tmp_path / "cache", jobs=2).processes == []
    assert Preconverter.start(names, tmp_path / "cache", jobs=1).processes == []
    assert not parked_workers()
    converting = Preconverter.start(names, tmp_path / "cache", jobs=2)
    assert len(converting.processes) == 2
    converting.join()
    # Processes wait for work aside; a failed build ends them.
    assert parked_workers()
    converting.stop()
    assert not parked_workers()
    cache = MarkdownCache(tmp_path / "cache")
    try:
        keys = [markdown_key(_body(number)) for number in range(MIN_PARALLEL)]
        assert len(cache.get_many(keys)) == MIN_PARALLEL
    finally:
        cache.close()


def _parallel_site(tmp_path: Path) -> BuildOptions:
    """The fixture with enough stories to convert ahead, built on two cores."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "tests" / "site" / "fixture", content)
    _write_stories(content / "stories", MIN_PARALLEL + 16)
    return BuildOptions(content=content, output=tmp_path / "public", cache=tmp_path / "c", jobs=2)


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_parallel_build_finds_every_story_converted_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    options = dataclasses.replace(_parallel_site(tmp_path), jobs=jobs)
    (options.content / "stories" / "plain.md").write_text(
        "---\ntitle: Plain\ndate: 2020-02-02\nsummary: Plain.\n---\nWords, no more.\n", "utf-8"
    )
    # Markdown that is no page: the process whose share it is reads no document of it.
    (options.content / "README.md").write_text("# Notes\n\nNot a page.\n", "utf-8")

    def not_here(*args: object) -> str:
        raise AssertionError("a page converted its own Markdown or read its file again")

    # Only the page workers' names for these: the processes converting ahead keep theirs. Plain
    # paragraphs too are found in the cache: a page would read its file again to convert them.
    monkeypatch.setattr(pagework, "markdown_html", not_here)
    monkeypatch.setattr(pagework, "body_text", not_here)
    monkeypatch.setattr(pagework, "plain_paragraphs", not_here)
    result = build_site(options)
    assert (tmp_path / "public" / "en" / "stories" / "plain" / "index.html").is_file()
    assert result.pages >= pagework.PARALLEL_FROM
    assert (tmp_path / "public" / "en" / "stories" / "story-007" / "index.html").is_file()


def test_a_build_with_converting_processes_writes_what_one_process_writes(
    tmp_path: Path,
) -> None:
    options = _parallel_site(tmp_path)
    build_site(options)
    assert not parked_workers()
    alone = dataclasses.replace(options, output=tmp_path / "alone", cache=tmp_path / "c1", jobs=1)
    build_site(alone)
    assert snapshot(options.output) == snapshot(alone.output)


def test_no_process_is_forked_while_a_cache_connection_is_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite breaks in a child that inherits a connection and its locks; none may be open."""
    options = _parallel_site(tmp_path)
    caches: list[MarkdownCache] = []
    made = MarkdownCache.__init__

    def recorded(self: MarkdownCache, folder: Path) -> None:
        made(self, folder)
        caches.append(self)

    monkeypatch.setattr(MarkdownCache, "__init__", recorded)
    forks: list[bool] = []
    start = Preconverter.start.__func__  # type: ignore[attr-defined]

    def checked_start(cls: type[Preconverter], /, *args: object, **kwargs: object) -> Preconverter:
        forks.append(any(cache.is_open for cache in caches))
        return start(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Preconverter, "start", classmethod(checked_start))
    render_all = pagework.render_all

    def checked_render(*args: Any, **kwargs: Any) -> dict[str, pagework.Rendered]:
        forks.append(any(cache.is_open for cache in caches))
        return render_all(*args, **kwargs)

    monkeypatch.setattr("sitegen.incremental.builder.render_all", checked_render)
    build_site(options)
    # Once more with the cache filled, so that the build reads it before forking if it would.
    shutil.rmtree(options.output)
    (options.content / "stories" / "story-000.md").write_text(_story(1000), "utf-8")
    build_site(options)
    assert forks == [False, False, False, False]
    assert caches


def test_a_parallel_build_from_the_command_line_ends_with_every_process_stopped(
    tmp_path: Path,
) -> None:
    options = _parallel_site(tmp_path)
    command = [sys.executable, "-c", LOADED, str(ROOT / "build.py"), "build", "--jobs", "2"]
    command += ["--content", str(options.content), "--output", str(options.output)]
    command += ["--cache", str(options.cache)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "multiprocessing loaded: True" in done.stdout
    # Only the processes that convert load Python-Markdown, and nothing loads urllib.request
    # (with http.client, ssl and email) to escape the feeds' XML.
    assert "markdown loaded: False" in done.stdout
    assert "urllib.request loaded: False" in done.stdout
    # Its workers stopped and waited for, the build needs no teardown to stop them.
    assert "ended at once" in done.stdout
    assert "(0 written," not in done.stdout
    assert (options.output / "en" / "stories" / "story-007" / "index.html").is_file()


def _main_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The documents the main process reads itself from now on (the converting processes
    call their own name for `load_documents`)."""
    read: list[Path] = []
    original = load.load_documents

    def noted(content: Path, paths: Iterable[Path], *args: Any) -> Any:
        paths = list(paths)
        if os.getpid() == main:
            read.extend(paths)
        return original(content, paths, *args)

    main = os.getpid()
    monkeypatch.setattr(load, "load_documents", noted)
    return read


def test_the_converting_processes_read_most_documents_for_the_main_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _parallel_site(tmp_path)
    read = _main_reads(monkeypatch)
    build_site(options)
    documents = list((options.content).rglob("*.md"))
    # An equal share each: a third here, on two cores.
    assert 0 < len(read) <= len(documents) // 3 + 1
    alone = dataclasses.replace(options, output=tmp_path / "alone", cache=tmp_path / "c1", jobs=1)
    build_site(alone)
    assert snapshot(options.output) == snapshot(alone.output)


@pytest.mark.parametrize("failing", ["settings", "images"])
def test_documents_the_processes_do_not_send_or_read_otherwise_are_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A process that cannot read the settings sends nothing; one that finds other images
    than the main process (a file added meanwhile) sends documents checked against them."""
    options = _parallel_site(tmp_path)
    if failing == "settings":

        def unreadable(content: Path) -> object:
            raise OSError("site.yaml: gone for a moment")

        monkeypatch.setattr("sitegen.markdown.preconvert.load_config", unreadable)
    else:
        found = load.find_images
        monkeypatch.setattr(
            "sitegen.markdown.preconvert.find_images",
            lambda f: {**found(f), "new.jpg": f / "new.jpg"},
        )
    read = _main_reads(monkeypatch)
    build_site(options)
    assert sorted(read) == sorted(options.content.rglob("*.md"))
    alone = dataclasses.replace(options, output=tmp_path / "alone", cache=tmp_path / "c1", jobs=1)
    build_site(alone)
    assert snapshot(options.output) == snapshot(alone.output)


def test_problems_in_documents_read_elsewhere_are_those_of_one_process(tmp_path: Path) -> None:
    options = _parallel_site(tmp_path)
    stories = sorted((options.content / "stories").glob("story-*.md"))
    # Three in a row: one in each process's share.
    for path in stories[10:13]:
        path.write_text(path.read_text("utf-8").replace("date: 2020", "date: 20x0"), "utf-8")
    stories[20].write_text("no front matter\n", "utf-8")
    reports = []
    for jobs in (2, 1):
        with pytest.raises(ContentError) as raised:
            build_site(dataclasses.replace(options, jobs=jobs, cache=tmp_path / f"c{jobs}"))
        reports.append([problem.format() for problem in raised.value.problems])
    assert reports[0] == reports[1]
    assert len(reports[0]) == 4
    assert not parked_workers()


def _command_line_build(options: BuildOptions, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The build from the command line; should it hang, it and every process it started are
    ended, and the test fails."""
    command = [sys.executable, str(ROOT / "build.py"), "build", "--jobs", "2"]
    command += ["--content", str(options.content), "--output", str(options.output)]
    command += ["--cache", str(options.cache)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail("the build did not end")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("broken", [False, True], ids=["otherwise fine", "with a content error"])
def test_a_named_pipe_among_the_stories_is_passed_over_not_waited_for(
    tmp_path: Path, broken: bool
) -> None:
    """Nothing would ever be written to it: reading it would wait for good."""
    options = _parallel_site(tmp_path)
    for number in range(3):
        os.mkfifo(options.content / "stories" / f"pipe-{number}.md")
    if broken:
        (options.content / "stories" / "story-005.md").write_text("no front matter\n", "utf-8")
    done = _command_line_build(options, tmp_path)
    if broken:
        assert done.returncode == 1
        assert "story-005.md:1: the file must start with front matter" in done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert (options.output / "en" / "stories" / "story-007" / "index.html").is_file()
        assert not (options.output / "en" / "stories" / "pipe-0").exists()


def test_markdown_outside_the_content_kinds_costs_the_processes_no_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the site does not read as content (notes in a folder of their own) fails in a
    process reading for the main one, which then sends the rest all the same."""
    options = _parallel_site(tmp_path)
    notes = options.content / "notes"
    notes.mkdir()
    for number in range(4):
        (notes / f"idea-{number}.md").write_text(_story(number), "utf-8")
    read = _main_reads(monkeypatch)
    build_site(options)
    documents = list(options.content.rglob("*.md"))
    assert read
    assert len(read) <= len(documents) // 3 + 1


COMPILED_BY = "compiled-by"


def _compile_problems_noted(paths: list[Path]) -> list[Problem]:
    """The e-mails' check, noting which process ran it in the folder the test names."""
    (Path(os.environ["ASK_TEST_NOTES"]) / COMPILED_BY).write_text(str(os.getpid()))
    return emails.compile_problems(paths)


@pytest.mark.parametrize("page_too", [False, True], ids=["e-mail", "e-mail and page"])
def test_the_e_mails_templates_are_checked_by_a_waiting_worker_and_stop_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_too: bool
) -> None:
    options = _parallel_site(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    mail = templates / "email" / "follow_up.html"
    mail.write_text(mail.read_text().replace("{%", "{% if %}{%", 1))
    if page_too:
        page = templates / "story.html"
        page.write_text(page.read_text() + "{% endblok %}\n")
    options = dataclasses.replace(options, templates=templates)
    monkeypatch.setenv("ASK_TEST_NOTES", str(tmp_path))
    monkeypatch.setattr(builder, "compile_problems", _compile_problems_noted)

    with pytest.raises(ContentError) as raised:
        build_site(options)
    found = {problem.path for problem in raised.value.problems}
    assert found == ({mail, templates / "story.html"} if page_too else {mail})
    assert int((tmp_path / COMPILED_BY).read_text()) != os.getpid()
    assert not options.output.exists()


# Each start of converting, told on stdout: which object, how many processes, and whether
# the builder was loaded then.
NOTED_STARTS = """
import sys
from sitegen.markdown import preconvert
start = preconvert.Preconverter.start.__func__
def noted(cls, names, *args, **kwargs):
    converting = start(cls, names, *args, **kwargs)
    loaded = "sitegen.incremental.builder" in sys.modules
    print("converting", id(converting), len(converting.processes), "builder loaded:", loaded)
    return converting
preconvert.Preconverter.start = classmethod(noted)
"""
AHEAD = (
    NOTED_STARTS
    + """
import runpy
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
)


def _started(output: str) -> list[tuple[str, ...]]:
    """Each start of converting the command line printed: its object, processes, and whether
    the builder was loaded then."""
    lines = [line.split() for line in output.splitlines() if line.startswith("converting ")]
    return [(words[1], words[2], words[-1]) for words in lines]


def _convert_ahead(options: BuildOptions, jobs: int) -> None:
    roots = (options.content, options.templates, options.contract)
    noop.convert_ahead(roots, options.cache, jobs)


def _ahead_processes() -> list[Any] | None:
    """The processes converting ahead, while no build has taken them over."""
    ahead = preconvert._ahead
    return None if ahead is None else ahead[1].processes


def _ahead_command(options: BuildOptions) -> list[str]:
    command = [sys.executable, "-c", AHEAD, str(ROOT / "build.py"), "build", "--jobs", "2"]
    command += ["--content", str(options.content), "--output", str(options.output)]
    return [*command, "--cache", str(options.cache)]


def test_a_first_build_starts_converting_before_it_loads_the_builder_which_takes_over(
    tmp_path: Path,
) -> None:
    options = _parallel_site(tmp_path)
    first = subprocess.run(
        _ahead_command(options), capture_output=True, text=True, check=True, cwd=ROOT
    )
    # Started once, before the builder was loaded; the build took the same processes over.
    ahead, taken = _started(first.stdout)
    assert ahead == (ahead[0], "2", "False")
    assert taken == (ahead[0], "2", "True")
    alone = dataclasses.replace(options, output=tmp_path / "alone", cache=tmp_path / "c1", jobs=1)
    build_site(alone)
    assert snapshot(options.output) == snapshot(alone.output)
    # With a cache, a build converts what changed, once it knows what that is.
    shutil.rmtree(options.output)
    again = subprocess.run(
        _ahead_command(options), capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert [started[2] for started in _started(again.stdout)] == ["True"]
    assert snapshot(options.output) == snapshot(alone.output)


def test_a_first_build_that_fails_before_taking_over_stops_the_processes_converting_ahead(
    tmp_path: Path,
) -> None:
    options = _parallel_site(tmp_path)
    # The content folder as the output: refused before the build reads anything.
    command = [sys.executable, "-c", NOTED_STARTS + LOADED, *_ahead_command(options)[3:]]
    command[command.index("--output") + 1] = str(options.content)
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    assert "content" in done.stderr
    [(_, processes, builder_loaded)] = _started(done.stdout)
    assert (processes, builder_loaded) == ("2", "False")
    # None left running, the build ended without the interpreter's teardown.
    assert "ended at once" in done.stdout
    assert not (options.cache / "builds").exists()


def test_a_first_build_into_a_cache_that_cannot_be_made_says_so_once(tmp_path: Path) -> None:
    options = _parallel_site(tmp_path)
    (tmp_path / "afile").write_text("not a folder\n", "utf-8")
    command = _ahead_command(dataclasses.replace(options, cache=tmp_path / "afile" / "cache"))
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    assert _started(done.stdout) == []
    assert done.stderr.splitlines() == [
        f"error: [Errno 20] Not a directory: '{tmp_path / 'afile' / 'cache'}'"
    ]


def test_converting_ahead_for_another_build_than_the_one_that_follows_is_stopped(
    tmp_path: Path,
) -> None:
    options = _parallel_site(tmp_path)
    _convert_ahead(options, 3)
    processes = _ahead_processes()
    assert processes is not None
    assert len(processes) == 2
    started = []
    start = Preconverter.start.__func__  # type: ignore[attr-defined]

    def noted(cls: type[Preconverter], /, *args: object, **kwargs: object) -> Preconverter:
        converting: Preconverter = start(cls, *args, **kwargs)
        started.append(converting)
        return converting

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Preconverter, "start", classmethod(noted))
        build_site(options)
    assert _ahead_processes() is None
    assert all(process.exitcode is not None for process in processes)
    [converting] = started
    assert converting.started
    assert not set(processes) & set(converting.processes)
    alone = dataclasses.replace(options, output=tmp_path / "alone", cache=tmp_path / "c1", jobs=1)
    build_site(alone)
    assert snapshot(options.output) == snapshot(alone.output)


def test_converting_ahead_that_no_build_takes_over_can_be_stopped(tmp_path: Path) -> None:
    options = _parallel_site(tmp_path)
    _convert_ahead(options, 2)
    processes = _ahead_processes()
    preconvert.stop_ahead()
    assert _ahead_processes() is None
    assert processes
    assert all(process.exitcode is not None for process in processes)
    preconvert.stop_ahead()  # once more: nothing to stop


def test_a_story_written_after_the_inputs_were_looked_at_is_built_and_read_again_next_time(
    tmp_path: Path,
) -> None:
    options = _parallel_site(tmp_path)
    _convert_ahead(options, 2)
    late = options.content / "stories" / "story-late.md"
    late.write_text(_story(999), "utf-8")
    build_site(options)
    page = options.output / "en" / "stories" / "story-late" / "index.html"
    assert "Summary 999." in page.read_text("utf-8")
    # Its size and time were not known to the build: the next one reads it again.
    late.write_text(_story(999).replace("Summary 999.", "Summary 998."), "utf-8")
    os.utime(late, ns=(1, 1))
    build_site(options)
    assert "Summary 998." in page.read_text("utf-8")
    assert build_site(options).written == 0
