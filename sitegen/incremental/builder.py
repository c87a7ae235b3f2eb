"""Builds that redo only what changed: documents by file, pages by a key of all their inputs."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sitegen.classes import dataclass
from sitegen.content.config import SiteConfig
from sitegen.content.i18n import Use
from sitegen.content.load import Content, ReadElsewhere, load_content, load_document
from sitegen.content.schema import Document
from sitegen.digest import digest
from sitegen.errors import ContentError, Problem
from sitegen.incremental import noop
from sitegen.incremental.compiled import compile_ahead, compiled_templates
from sitegen.incremental.edits import KeptRenderer, kit_of, prepared_from, shows_alike
from sitegen.incremental.fingerprint import Fingerprinter, References, Uses, code_version
from sitegen.incremental.kit import (
    DAMAGED,
    KitReader,
    Lists,
    PartMemo,
    Pickled,
    Saved,
    amend_kit,
    open_kit,
)
from sitegen.incremental.outfolder import (
    AsLeft,
    Outputs,
    check_links,
    intact_files,
    rescan,
    scan_inputs,
)
from sitegen.incremental.pagework import PageWork, Rendered, render_all
from sitegen.incremental.prepared import (
    Inputs,
    PageKeys,
    Prepared,
    feed_entries,
    feed_files,
    page_keys,
    prepare,
    site_files,
    text_edits,
)
from sitegen.incremental.state import (
    BuildState,
    PageRecord,
    load_model,
    load_state,
    new_token,
    no_cycle_collection,
    save_state,
    stage_documents,
    stage_kit,
    state_files,
    state_path,
    unstage_kit,
)
from sitegen.incremental.write import check_output_dir
from sitegen.markdown.cache import HtmlCache, HtmlMemo, MarkdownCache
from sitegen.markdown.texts import html_of, markdown_key, stripped
from sitegen.options import BuildOptions, BuildResult
from sitegen.parallel import aside, parked_workers
from sitegen.render.emails import check_email_strings, compile_problems, to_compile
from sitegen.render.form import Form, read_form
from sitegen.render.templates import required_strings
from sitegen.site.model import Page, is_visible

if TYPE_CHECKING:
    from sitegen.content.translations import TranslationReport
    from sitegen.incremental.moves import Moves

# The size and time of a document written after the inputs were looked at, which the build
# read all the same: none a file can have, so that the next build reads it again.
UNSEEN = (-1, -1)
# A long-lived builder lets go of the documents it digested once it keeps this many.
FINGERPRINTS_KEPT = 200_000


def build_site(options: BuildOptions) -> BuildResult:
    """Render the site and write it; on any error nothing in the output folder changes.

    Reuses the build cache in `options.cache`: only pages whose inputs changed are rendered."""
    return Builder(options).build()


@dataclass(frozen=True)
class CheckResult:
    """What a check found: the pages it rendered and the state of the translations."""

    pages: int
    translations: TranslationReport


def check_site(options: BuildOptions, *, strict: bool = False) -> CheckResult:
    """Read, render and check everything as a build does, and write nothing.

    `strict`: a missing or outdated translation is a content error too. The cycle collector
    is off meanwhile, as for a build (`Builder.build`)."""
    with no_cycle_collection():
        return Builder(options).check(strict=strict)


def _may_differ(inputs: Inputs, before: Inputs, path: Path) -> bool:
    """Whether a file may have changed since the inputs `before`: also when the scan does not
    name it so (a folder linked in, a templates folder given as `.`)."""
    now = inputs.get(str(path))
    return now is None or now != before.get(str(path))


class Builder:
    """Builds the site again and again; keeps the last build's state in memory between builds."""

    def __init__(self, options: BuildOptions, *, keep_model: bool = False) -> None:
        # keep_model: a long-lived builder (the dev server) makes the model at its first build
        # (rather than finding nothing to do), so that an edit needing it is quick then; an
        # edit built from the saved pages leaves it to be made again when next needed.
        self.options, self.keep_model = options, keep_model
        self.today = options.today or date.today()
        self._shown = {"drafts": options.drafts, "future": options.future}
        settings = {**self._shown, "today": self.today}
        self.state_file = state_path(options.cache, options.output, settings)
        noop.code_snapshot()  # of the code this process runs, before it can change
        key = noop.build_key(
            options.content,
            options.templates,
            options.contract,
            options.output,
            (options.drafts, options.future, self.today.isoformat()),
        )
        self.manifest = noop.manifest_path(options.cache, key)
        # What the output folder's marker holds once this builder has written it.
        self.mark = noop.output_mark(state_files(self.state_file)[0])
        self.manifest_key = key
        self.recorded: BuildState | None = None
        self.state: BuildState | None = None
        # The last build's model, for rebuilds in this process after only text changed.
        self.last: Prepared | None = None
        # Whether the last build failed: what it was told of is in no state.
        self.failed = False
        # Whether another build wrote the output folder since this one's state was saved.
        self.foreign = False
        # Told when a build's files are in place (`build`).
        self._committed: Callable[[bool], None] | None = None
        # Asked before they are put in place: whether the output files are as taken to be.
        self._before_commit: Callable[[], bool] | None = None
        # The lists of the kit saved with this token, as read or saved last (`_kit_lists`).
        self._lists: tuple[str, Lists] | None = None
        # A long-lived builder's parts of saved documents, as read from the kit before.
        self._parts = PartMemo() if keep_model else None
        # And what it renders pages with after an edit, with the parts rendered once.
        self._renderer = KeptRenderer() if keep_model else None
        # And the digests of the documents its pages' keys were made of (`_page_keys`).
        self._fingerprints: Fingerprinter | None = None

    def build(
        self,
        changed: Iterable[Path] | None = None,
        *,
        committed: Callable[[bool], None] | None = None,
    ) -> BuildResult:
        """Bring the output folder up to date; on any error nothing in it changes.

        A long-lived caller that watches the files may name the `changed` ones: then only
        those are looked at again, and the output folder is taken to be as this builder left
        it (after a failed build, every file is looked at again: what changed before it is
        in no state yet). Without, every input and output file is checked.

        `committed` is called once the output folder's files are in place, with whether any
        was written or removed, before what the next build needs is saved (the development
        server reloads open pages then).

        The cycle collector is off meanwhile in this process: it makes next to no cyclic
        garbage, and passes over the model it holds took 0.1 s of a cold build of 10,000
        stories (0.45 s rendering every page here). Processes forked to help turn it on
        again (`sitegen.parallel.worker_start`)."""
        self._committed = committed
        try:
            with no_cycle_collection():
                return self._update(changed)
        finally:
            self._committed = None

    def _update(self, changed: Iterable[Path] | None) -> BuildResult:
        started = time.perf_counter()
        options = self.options
        check_output_dir(options.output, options.content, options.templates)
        state = self.state if self.state is not None else load_state(self.state_file)
        # Another build (other settings, another cache) wrote the folder since this one's
        # state: every file is looked at, and the files it left removed.
        self.foreign = noop.mark_found(options.output) != self.mark
        inputs, intact, later = self._found(state, changed)
        unchanged = not self.foreign and inputs == state.inputs and len(intact) == len(state.files)
        try:
            if state.files and unchanged and (self.last or not self.keep_model or state.whole):
                self.state = state
                self._record(state)
                count = len(state.files)
                took = time.perf_counter() - started
                return BuildResult(state.page_count, count, 0, count, 0, took)
            noop.forget(self.manifest)
            self.recorded = None
            markdown = MarkdownCache(options.cache)
            self.failed = True
            try:
                outputs = self._rebuild(state, inputs, intact, markdown, later)
            finally:
                markdown.close()
        finally:
            if later is not None:
                later()  # the other process waited for, whatever happened
        self.failed = False
        noop.mark_output(options.output, self.mark)
        self._record(outputs.state)
        return outputs.result(time.perf_counter() - started)

    def _found(
        self, state: BuildState, changed: Iterable[Path] | None
    ) -> tuple[Inputs, Mapping[str, str], Callable[[], Mapping[str, str]] | None]:
        """The inputs as they are now, and the output files found as `state` has them; and,
        after edits, what waits for the other process still looking at those (`_rebuild`)."""
        options = self.options
        names = None
        if changed is not None and self.state is not None and not self.failed and not self.foreign:
            names = self._input_names(changed)
        if names is not None and all(n in state.inputs or os.path.isfile(n) for n in names):
            return rescan(state.inputs, names), AsLeft(state.files), None
        roots = (options.content, options.templates, options.contract)
        inputs, seen = noop.seen(roots, options.output)
        later = cache(lambda: intact_files(options.output, state.files, seen()))
        try:
            inputs = inputs or scan_inputs(*roots)
        except BaseException:
            later()
            raise
        if inputs == state.inputs or self.foreign or not state.files:
            return inputs, later(), None
        # Edited: taken to be as left, while the output files are looked at still; a rebuild
        # after edits finds out before it puts its files in place.
        return inputs, AsLeft(state.files), later

    def _rebuild(
        self,
        state: BuildState,
        inputs: Inputs,
        intact: Mapping[str, str],
        markdown: MarkdownCache,
        later: Callable[[], Mapping[str, str]] | None = None,
    ) -> Outputs:
        """Rebuild what changed: from the saved pages of edited texts, from the last model in
        memory, or from everything read again; save the state.

        With `later`, `intact` is every output file, taken to be as left while they are
        looked at: `later` waits for the look and gives those found so. A rebuild from the
        saved pages, which needs them all as left, finds out before it puts its files in
        place, and is given up if they are not; anything else waits first."""
        if self.last is None:
            as_left = None if later is None else lambda: len(later()) == len(state.files)
            self._before_commit = as_left
            try:
                outputs = self._light_edits(state, inputs, intact, markdown)
            except Exception:
                # Made while the files were looked at: what failed it (or found them not as
                # left, `_NotAsLeft`) counts if they were; else it is made again, below.
                if as_left is None or as_left():
                    raise
                outputs = None
            finally:
                self._before_commit = None
            if outputs is not None:
                return self._saved_light(outputs)
        if later is not None:
            intact = later()
        if not state.whole:
            load_model(self.state_file, state)
            intact = intact if state.files else {}
        outputs = self._text_edits(state, inputs, intact, markdown)
        if outputs is None and self.last is not None:
            # What documents show, edited: from the saved pages too. The model in memory no
            # longer is the site's; made again when needed, it costs less than made now.
            outputs = self._light_edits(state, inputs, intact, markdown)
            if outputs is not None:
                self.last = None
                return self._saved_light(outputs)
        if outputs is None:
            outputs = self._build(state, inputs, intact, markdown)
            save_state(self.state_file, outputs.state)
        else:
            save_state(self.state_file, outputs.state, whole=False)
        self.state = outputs.state
        return outputs

    def _saved_light(self, outputs: Outputs) -> Outputs:
        """Save the state of a build from the saved pages, and keep it if it is whole: one
        made from a state as read, with only what changed since the model file, is not, and
        the next build reads the state again."""
        save_state(self.state_file, outputs.state, whole=False)
        self.state = outputs.state if outputs.state.whole else None
        return outputs

    def _record(self, state: BuildState) -> None:
        """Leave the manifest that lets the next build with nothing to do stop at once."""
        if self.recorded is state:
            return
        self.recorded, options = state, self.options
        noop.record(
            self.manifest,
            self.manifest_key,
            (options.content, options.templates, options.contract),
            state_files(self.state_file),
            state.version,
        )

    def check(self, *, strict: bool = False) -> CheckResult:
        """A whole build that leaves no trace: nothing is read from or written to the cache
        (Markdown is converted in memory, images only planned), and pages are rendered into a
        temporary folder that is removed; raise ContentError for every problem."""
        # Here, not at the top: only a check reports on translations.
        from sitegen.content.translations import gap_problems

        options, state = self.options, BuildState()
        inputs = scan_inputs(options.content, options.templates, options.contract)
        outputs = Outputs(
            options.output, Path(tempfile.mkdtemp(prefix="sitegen-check-")), state, {}
        )
        try:
            form = read_form(options.contract)
            content, bodies, mail = self._load(
                state, inputs, self._context_key(inputs), lambda: form
            )
            translations = self._translations(content)
            gaps = gap_problems(translations) if strict else []
            try:
                prepared = prepare(content, bodies, options, self.today, form, make_images=False)
                keys = page_keys(prepared, state, None)
                self._make(outputs, prepared, HtmlMemo(), keys, list(keys), planned_images=True)
            except ContentError as error:
                raise ContentError([*error.problems, *mail(), *gaps]) from None
            if problems := [*mail(), *gaps]:
                raise ContentError(problems)
        finally:
            outputs.discard()
        return CheckResult(len(keys), translations)

    def _translations(self, content: Content) -> TranslationReport:
        """The translations of the texts this build publishes."""
        from sitegen.content.translations import find_gaps

        options = self.options
        published = (
            doc
            for doc in content.documents
            if is_visible(doc, today=self.today, drafts=options.drafts, future=options.future)
        )
        return find_gaps(published, content.config)

    def _input_names(self, changed: Iterable[Path]) -> list[str] | None:
        """Changed files named the way `scan_inputs` names them (below the folders as given);
        None when one of them is not known that way (such as a file reached through a link to
        a folder, named where the link leads): then every input is looked at."""
        names = []
        contract = self.options.contract
        for path in changed:
            if path.resolve() == contract.resolve():
                names.append(str(contract))
                continue
            name = _below(path, self.options.content) or _below(path, self.options.templates)
            if name is None:
                return None
            names.append(name)
        return names

    def _build(
        self, state: BuildState, inputs: Inputs, intact: Mapping[str, str], markdown: MarkdownCache
    ) -> Outputs:
        self.last = None
        context = self._context_key(inputs)
        changed = self._changed_documents(state, inputs)
        # Here, not at the top: a rebuild after an edit never converts ahead.
        from sitegen.markdown.preconvert import Preconverter

        converting = Preconverter.start(
            changed, self.options.cache, jobs=self.options.jobs, content=self.options.content
        )
        outputs: Outputs | None = None
        try:
            # Read by a waiting worker, when there is one, while this process reads the
            # content: PyYAML and the contract's checks take some 30 ms.
            form = aside(read_form, self.options.contract)
            compiled = compiled_templates(self.options.cache)
            # Compiled likewise, a share on each worker, for this process and the workers
            # forked from it to load; what each template uses comes back with them.
            shares = parked_workers()
            compiling = [
                aside(compile_ahead, self.options.templates, compiled, share, shares)
                for share in range(shares)
            ]
            content, bodies, mail = self._load(state, inputs, context, form, converting.elsewhere())
            try:
                prepared = prepare(
                    content,
                    bodies,
                    self.options,
                    self.today,
                    form(),
                    compiled=compiled,
                    references=partial(_references, compiling),
                )
            except ContentError as error:
                raise ContentError([*mail(), *error.problems]) from None
            if problems := mail():
                raise ContentError(problems)
            outputs = self._outputs(state, intact)
            outputs.state.whole = True
            # Into a new output folder every page is rendered: the folders of all of them are
            # made by a waiting worker while this process goes on, before pages are rendered.
            outputs.make_folders(page.url for page in prepared.site.pages)
            outputs.state.inputs = inputs
            outputs.state.documents = {
                str(doc.path): (inputs.get(str(doc.path), UNSEEN), context, doc, bodies[doc.path])
                for doc in content.documents
            }
            outputs.state.kit = kit_of(prepared)
            # With no page of a last build to reuse, every page is rendered, and the keys,
            # which then only go into the state, are worked out while workers render.
            keys_later = not state.pages
            if keys_later:
                keys: dict[str, str] = {}
                todo = [page.url for page in prepared.site.pages]
            else:
                keys = page_keys(prepared, state, text_edits(state, inputs, content))
                todo = [url for url, key in keys.items() if not outputs.page_is_current(url, key)]
        except BaseException:
            # Stops the workers too, so that none makes folders in what is removed next.
            converting.stop()
            if outputs is not None:
                outputs.discard()
            raise
        converting.join()

        def meanwhile() -> None:
            # Neither the keys, the kit nor the documents' part of the state need a page: all
            # are done while workers render, the keys of the pages as the kit saves them.
            key = PageKeys(prepared)

            def seen(page: Page, data: memoryview, named: Mapping[str, Document]) -> None:
                keys[page.url] = key.of(page, data, named)

            stage_kit(self.state_file, outputs.state, seen=seen if keys_later else None)
            stage_documents(outputs.state)

        try:
            self._fill(outputs, prepared, markdown, keys, todo, meanwhile=meanwhile)
        except BaseException:
            unstage_kit(outputs.state)
            raise
        self.last = prepared
        return outputs

    def _changed_documents(self, state: BuildState, inputs: Inputs) -> list[str]:
        """Markdown files that are new or changed since the last build."""
        known = state.documents
        return [
            name
            for name in noop.markdown_files(inputs, self.options.content)
            if name not in known or known[name][0] != inputs[name]
        ]

    def _text_edits(
        self, state: BuildState, inputs: Inputs, intact: Mapping[str, str], markdown: MarkdownCache
    ) -> Outputs | None:
        """Rebuild after edits to the text of documents alone, from the last model; or None."""
        last = self.last
        changed = _changed(state, inputs, intact)
        if last is None or not changed or not changed <= state.documents.keys():
            return None
        edited = {}
        for path in changed:
            kept = state.documents[path][2]
            doc = self._reload(Path(path), last.content.config, last.content.images)
            if doc is None or stripped(doc) != kept:
                return None
            edited[kept.path] = markdown_key(doc.body)
        last.bodies.update(edited)
        outputs = self._edit_outputs(state, inputs, intact, changed)
        outputs.state.documents = dict(state.documents)
        for path in changed:
            _, context, doc, _ = state.documents[path]
            outputs.state.documents[path] = (inputs[path], context, doc, edited[doc.path])
        pages = [page for page in last.site.pages if page.document and page.document.path in edited]
        self._fill_edits(outputs, last, markdown, pages, set(edited))
        self.last = last
        return outputs

    def _light_edits(
        self, state: BuildState, inputs: Inputs, intact: Mapping[str, str], markdown: MarkdownCache
    ) -> Outputs | None:
        """Rebuild after edits that leave the site's structure as it was (to what documents
        show, `SHOWN`), from the saved pages that show those documents and the site-wide parts
        they are rendered with; or None. An edit to a text alone renders its own pages again;
        one to more of what a document shows, every page that shows it."""
        changed = _changed(state, inputs, intact)
        kit = open_kit(state_files(self.state_file)[2], state.version, state.kit_token, self._parts)
        if kit is None:
            return None
        try:
            return self._from_kit(kit, changed, state, inputs, intact, markdown)
        except DAMAGED:
            return None  # built whole, which saves a new kit
        finally:
            kit.close()

    def _from_kit(
        self,
        kit: KitReader,
        changed: set[str] | None,
        state: BuildState,
        inputs: Inputs,
        intact: Mapping[str, str],
        markdown: MarkdownCache,
    ) -> Outputs | None:
        saved: dict[str, Saved] = {}
        for path in changed or ():
            found = kit.saved(path)
            if found is None:  # a new file, or one with no page, or not a document
                return None
            saved[path] = found
        if not saved:
            return None
        documents = journaled(state.journal[0], state.journal_entries[0], state.documents)
        # As edited since the kit was saved.
        kit.now.update((path, entry[2]) for path, entry in documents.items())
        named: set[str] = set()
        shared = kit.shared(named)
        context = self._context_key(inputs)
        urls: set[str] = set()
        shown_anew: set[str] = set()
        # Stories whose date or tags changed, which moves them in the lists.
        moving: dict[str, Document] = {}
        for path, found in saved.items():
            doc = self._reload(Path(path), shared.config, shared.content_images)
            if doc is None:
                return None
            kept, now = kit.document(path), stripped(doc)
            if now != kept:
                if not found.follows:
                    return None
                if not shows_alike(kept, now, shared.images):
                    if not shows_alike(kept, now, shared.images, moving=True):
                        return None
                    if not is_visible(now, today=self.today, **self._shown):
                        return None
                    moving[path] = now
                urls.update(found.shown_on)
                shown_anew.add(path)
            urls.update(found.own)
            documents[path] = (inputs[path], context, now, markdown_key(doc.body))
            kit.now[path] = now
        if shown_anew & named:
            shared = kit.shared()  # the feeds show the documents as they are now
        moves, more = None, None
        if moving:
            # Here, not at the top: only an edit moving a story needs them, some 6 ms.
            from sitegen.incremental.moves import moved
            from sitegen.render.outputs import is_sitemap_file, kept_sitemap_files

            lists = self._kit_lists(kit, state.kit_token)
            bodies = {path: documents[path][3] for path in moving}
            moves = None if lists is None else moved(kit, shared, lists, moving, bodies)
            if moves is None:
                return None
            shared = moves.shared
            urls.update(moves.pages)
            # Pages that showed a story but are gone with its tag are not made.
            urls.difference_update(moves.removed)
            sitemap = []
            if moves.lists.sitemap is not None:  # a date changed it
                sitemap = kept_sitemap_files(shared.config, moves.lists.sitemap)
                if {name for name, _ in sitemap} != set(filter(is_sitemap_file, state.files)):
                    return None  # split otherwise: files to remove, which only a whole build does
            files = [(name, text.encode()) for name, text in sitemap]
            more = _More(moves.feeds, files, moves.removed)
        found_pages = [
            moves.pages[url] if moves and url in moves.pages else kit.page(url)
            for url in sorted(urls)
        ]
        pages = [page for page in found_pages if page is not None]
        if len(pages) != len(found_pages):
            return None
        prepared = prepared_from(
            shared, pages, self.options.templates, self.options.cache, self._renderer
        )
        # The cache keys of the texts of the pages' documents (the feeds' too): as edited,
        # else as saved.
        for page in pages:
            if page.document is not None and str(page.document.path) not in documents:
                known = kit.saved(str(page.document.path))
                if known is None:
                    return None
                prepared.bodies[page.document.path] = known.body
        prepared.bodies.update({doc.path: body for _, _, doc, body in documents.values()})
        outputs = self._edit_outputs(state, inputs, intact, set(saved))
        if moves is not None and outputs.state.page_count:
            outputs.state.page_count += len(moves.added) - len(moves.removed)
        outputs.state.documents = {**state.documents, **documents}
        outputs.state.pages = journaled(state.journal[1], state.journal_entries[1], state.pages)
        edited = {Path(path) for path in saved}
        shown, keep = list(prepared.site.pages), moves is not None
        pickled = self._fill_edits(outputs, prepared, markdown, shown, edited, more, keep=keep)
        if moves is not None:
            # The kit as the lists now are, put in place once the state naming it is saved: it
            # is for the next build, so it is written once this one's pages are in place.
            self._amend_kit(kit, outputs.state, moves, pickled)
        return outputs

    def _amend_kit(
        self, kit: KitReader, state: BuildState, moves: Moves, pickled: Pickled | None = None
    ) -> None:
        """Save the kit with the pages, feeds and lists `moves` changed, for `state` to name;
        `pickled`: pages pickled already (`amend_kit`). One that cannot be (a damaged part, a
        full disk) is named by no state, and the next build that needs one builds everything,
        which saves a new kit: the pages of this build are in place already."""
        token, place = new_token(), state_files(self.state_file)[2]
        shared = moves.shared if moves.feeds else None
        state.kit, state.kit_token = None, ""
        try:
            staged = amend_kit(
                kit,
                place,
                token,
                moves.pages,
                shared=shared,
                lists=moves.lists,
                moves=moves.moved,
                pickled=pickled,
                removed=moves.removed,
            )
        except (*DAMAGED, OSError):
            return
        state.kit_token, state.staged_kit = token, staged
        self._lists = (token, moves.lists)

    def _kit_lists(self, kit: KitReader, token: str) -> Lists | None:
        """The kit's lists: as this builder saved them last, when the kit is that one, for
        they take a tenth of a rebuild after a story moved to read (12 ms at 10,000)."""
        if self._lists is not None and self._lists[0] == token:
            return self._lists[1]
        lists = kit.lists()
        if lists is not None:
            self._lists = (token, lists)
        return lists

    def _edit_outputs(
        self, state: BuildState, inputs: Inputs, intact: Mapping[str, str], changed: set[str]
    ) -> Outputs:
        """The output of a rebuild after text edits: the state carries them in its journal."""
        outputs = self._outputs(state, intact)
        new = outputs.state
        new.inputs, new.token, new.page_count = inputs, state.token, state.page_count
        new.whole = state.whole
        new.kit_token = state.kit_token
        new.journal = (state.journal[0] | changed, set(state.journal[1]))
        if state.edits is not None:
            # The output files it writes are added as they are written (Outputs._record).
            inputs_changed = state.edits[0] | {path: inputs[path] for path in changed}
            new.edits = (inputs_changed, dict(state.edits[1]))
        return outputs

    def _fill_edits(
        self,
        outputs: Outputs,
        prepared: Prepared,
        markdown: MarkdownCache,
        pages: list[Page],
        edited: set[Path],
        more: _More | None = None,
        *,
        keep: bool = False,
    ) -> Pickled | None:
        """Render the pages of edited texts and the feeds that show them (and `more`); keep
        all else. With `keep`, the pages as pickled for their keys, for the kit to save."""
        key = self._page_keys(prepared, keep=keep)
        keys = {page.url: key(page) for page in pages}
        outputs.state.journal[1].update(keys)
        self._fill(outputs, prepared, markdown, keys, list(keys), edited=edited, more=more)
        return key.kept

    def _page_keys(self, prepared: Prepared, *, keep: bool = False) -> PageKeys:
        """The keys of pages rendered after edits: a long-lived builder digests each
        document it keeps from the kit (`PartMemo`) once, until it keeps too many."""
        if self._parts is None:
            return PageKeys(prepared, keep=keep)
        if self._fingerprints is None or self._fingerprints.kept() > FINGERPRINTS_KEPT:
            self._fingerprints = Fingerprinter()
        return PageKeys(prepared, self._fingerprints, keep=keep)

    def _reload(self, path: Path, config: SiteConfig, images: dict[str, Path]) -> Document | None:
        """A document read again, or None when it now has problems (the full build says which)."""
        try:
            return load_document(self.options.content, path, config, images)
        except ContentError:
            return None

    def _outputs(self, state: BuildState, intact: Mapping[str, str]) -> Outputs:
        self.options.cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.options.cache, prefix="staging-"))
        return Outputs(self.options.output, staging, state, intact, sweep=self.foreign)

    def _load(
        self,
        state: BuildState,
        inputs: Inputs,
        context: str,
        form: Callable[[], Form],
        elsewhere: ReadElsewhere | None = None,
    ) -> tuple[Content, dict[Path, str], Callable[[], list[Problem]]]:
        """Read changed documents; reuse the rest (without their text) from the last build.
        `form` gives the form, asked for once the documents are read. `elsewhere`: documents
        other processes read meanwhile, sent without their texts but with their texts' keys.
        Last, what waits for the problems of the e-mails' templates."""
        reuse: dict[Path, Document] = {}
        bodies: dict[Path, str] = {}
        for path, (stat, key, doc, body) in state.documents.items():
            if key == context and inputs.get(path) == stat:
                reuse[doc.path] = doc
                bodies[doc.path] = body
        templates = self.options.templates
        # Compiled by a waiting worker, when there is one, while this process reads the
        # content and makes the model: 29 templates in a build of everything, some 50 ms.
        changed = partial(_may_differ, inputs, state.inputs)
        compiled = aside(compile_problems, to_compile(templates, changed))
        uses = _required_strings(templates, form)
        content = load_content(self.options.content, uses, reuse=reuse, elsewhere=elsewhere)
        mail_problems = check_email_strings(templates, content.strings)

        def problems() -> list[Problem]:
            return [*mail_problems, *compiled()]

        sent = elsewhere.sent if elsewhere else {}
        for doc in content.documents:
            if doc.path not in bodies:
                # A document read here after all (see `load_content`) is not the one sent.
                known = sent.get(doc.path)
                bodies[doc.path] = known[1] if known and known[0] is doc else markdown_key(doc.body)
        # Templates see no document text but their page's `body`, whether a document was read
        # now or kept; workers read the text again when they convert it.
        documents = tuple(stripped(doc) for doc in content.documents)
        return dataclasses.replace(content, documents=documents), bodies, problems

    def _context_key(self, inputs: Inputs) -> str:
        """What reading one document depends on beyond its own file: settings and image names."""
        content = str(self.options.content)
        settings = inputs.get(os.path.join(content, "site.yaml"))
        folder = os.path.join(content, "images") + os.sep
        depth = folder.count(os.sep)
        images = sorted(p for p in inputs if p.startswith(folder) and p.count(os.sep) == depth)
        return digest(repr(settings), *images, code_version())

    def _fill(
        self,
        outputs: Outputs,
        prepared: Prepared,
        markdown: MarkdownCache,
        keys: dict[str, str],
        todo: list[str],
        *,
        edited: set[Path] | None = None,
        more: _More | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """Render `todo`, make the site-wide files, check every link, then write; or nothing.

        With `edited`, only what these documents show changed: of the site-wide files only
        the feeds that show them are made again (and `more`), and only the pages rendered
        have new links. `meanwhile`: more work of this process that needs no page (see
        `render_all`)."""
        try:
            self._make(
                outputs,
                prepared,
                markdown,
                keys,
                todo,
                edited=edited,
                more=more,
                meanwhile=meanwhile,
            )
            if self._before_commit is not None and not self._before_commit():
                raise _NotAsLeft
            outputs.commit()
        except BaseException:
            outputs.discard()
            raise
        if self._committed is not None:
            self._committed(outputs.written + outputs.removed > 0)

    def _make(
        self,
        outputs: Outputs,
        prepared: Prepared,
        markdown: HtmlCache,
        keys: dict[str, str],
        todo: list[str],
        *,
        planned_images: bool = False,
        edited: set[Path] | None = None,
        more: _More | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        # The site-wide files of a whole build need no page: they are made while workers
        # render theirs (their problems wait until the pages' are known, as when made after).
        site_wide: list[ContentError] = []

        def alongside() -> None:
            if edited is None:
                try:
                    self._add_site_wide(outputs, prepared, markdown, planned_images)
                except ContentError as error:
                    site_wide.append(error)
            if meanwhile is not None:
                meanwhile()

        rendered = self._render(prepared, todo, markdown, outputs, alongside)
        if site_wide:
            raise site_wide[0]
        if edited is not None:
            outputs.keep_all()
            for url in more.removed if more else ():
                outputs.drop_page(url)
        for url, key in keys.items():
            result = rendered.get(url)
            if result is None:
                outputs.keep_page(url, outputs.previous.pages[url])
            else:
                outputs.add_page(url, PageRecord(key, result.digest, result.links), result)
        pages = {page.url: page for page in prepared.site.pages}
        if edited is not None:
            more = more or _More()
            outputs.add_files(self._site_files(prepared, markdown, edited, more.feeds))
            outputs.add_files(more.files)
            check_links(outputs, pages, self.options.templates, rendered)
            return
        check_links(outputs, pages, self.options.templates)

    def _add_site_wide(
        self, outputs: Outputs, prepared: Prepared, markdown: HtmlCache, planned_images: bool
    ) -> None:
        """The site-wide files, assets and images of a whole build."""
        outputs.add_files(self._site_files(prepared, markdown))
        outputs.add_files(prepared.assets.files.items())
        variants = [v for image in prepared.images.values() for v in image.variants]
        if planned_images:
            outputs.plan(v.url.lstrip("/") for v in variants)
        else:
            outputs.add_copies((v.url.lstrip("/"), v.cached) for v in variants)

    def _render(
        self,
        prepared: Prepared,
        urls: list[str],
        markdown: HtmlCache,
        outputs: Outputs,
        meanwhile: Callable[[], None] | None = None,
    ) -> dict[str, Rendered]:
        pages = {page.url: page for page in prepared.site.pages}
        work = PageWork(
            prepared.renderer,
            pages,
            prepared.bodies,
            outputs.previous_digests(),
            self.options.cache if isinstance(markdown, MarkdownCache) else None,
            outputs.files_at,
            outputs.laid_out,
            outputs.chmod,
        )
        return render_all(
            work,
            urls,
            markdown,
            jobs=self.options.jobs,
            progress=self.options.progress,
            meanwhile=meanwhile,
        )

    def _site_files(
        self,
        prepared: Prepared,
        markdown: HtmlCache,
        edited: set[Path] | None = None,
        feeds: Collection[str] = (),
    ) -> list[tuple[str, bytes]]:
        """Every site-wide file; after edits to what `edited` show alone, only the feeds that
        show one of them (nothing else site-wide shows any text) and those of `feeds`."""
        entries = feed_entries(prepared.site)
        codes = {entry.doc.lang for entry in entries if edited and entry.doc.path in edited}
        codes.update(feeds)
        if edited is not None:
            entries = [entry for entry in entries if entry.doc.lang in codes]
            if not entries:
                return []
        html = html_of([e.doc for e in entries], prepared.bodies, markdown)
        bodies = {e.url: html[e.doc.path] for e in entries}
        if edited is None:
            return site_files(
                prepared.site, prepared.renderer, bodies, self.today, prepared.sitemap_files
            )
        return feed_files(prepared.site, prepared.renderer, bodies, self.today, sorted(codes))


@dataclass(frozen=True)
class _More:
    """The site-wide files edits change beyond the feeds that show the edited documents:
    other languages' feeds, to make again, and files made already."""

    feeds: frozenset[str] = frozenset()
    files: list[tuple[str, bytes]] = dataclasses.field(default_factory=list)
    # Pages the site no longer has, by URL.
    removed: tuple[str, ...] = ()


_Entry = TypeVar("_Entry")


def journaled(
    names: set[str], read: Mapping[str, _Entry | None], known: Mapping[str, _Entry]
) -> dict[str, _Entry]:
    """The entries changed since the model file was saved: as read with the file list, or
    (in a process that has built since) as this process knows them; without those gone since
    (read as None)."""
    found = {name: entry for name, entry in read.items() if entry is not None}
    found.update((name, known[name]) for name in names if name in known)
    return found


def _references(compiling: Iterable[Callable[[], References]]) -> References:
    """What the templates use, as the workers compiling them found it; nothing from a share
    that failed: the build parses those templates itself, and says what is wrong with them
    (a worker lost is reported when the pages are rendered)."""
    found: dict[str, Uses] = {}
    for result in compiling:
        with contextlib.suppress(Exception):
            found.update(result())
    return found


def _below(path: Path, folder: Path) -> str | None:
    """`path` named below `folder` as given, if it is in it: by its name, or where it leads."""
    for place, top in ((path.absolute(), folder.absolute()), (path.resolve(), folder.resolve())):
        with contextlib.suppress(ValueError):
            return os.path.join(folder, place.relative_to(top))
    return None


def _required_strings(templates: Path, form: Callable[[], Form]) -> Iterator[Use]:
    """`required_strings`, worked out when first gone through."""
    yield from required_strings(templates, form())


class _NotAsLeft(Exception):
    """The output files were not as a rebuild took them to be while they were looked at."""


def _changed(state: BuildState, inputs: Inputs, intact: Mapping[str, str]) -> set[str] | None:
    """The inputs changed since the last build, if they are all files it knew and every output
    file is as it left them; else None."""
    if inputs.keys() != state.inputs.keys() or len(intact) != len(state.files):
        return None
    return {path for path, stat in inputs.items() if state.inputs[path] != stat}
