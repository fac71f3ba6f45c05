"""The official e-invoice validators as a test oracle (../shared/fixtures/validation/README.md).

``UblOracle.check(data)`` validates one UBL document the way the standards' own tools do:

* the OASIS UBL 2.1 XSD (lxml),
* the CEN EN 16931 rules and the Peppol BIS 3.0.19 rules: ISO schematron compiled once with
  SchXslt (Saxon-HE, ``saxonche``) into XSLT that emits SVRL,
* the SI-UBL 2.0 (NLCIUS) validator, shipped already compiled to XSLT.

A document is checked by the XSD, the CEN rules and the CIUS its CustomizationID claims (Peppol
or SI-UBL); ``as_cius`` re-tags it first, to check the same content against the other CIUS. The
compiled schematrons are cached on disk keyed by the hash of their sources, so every test
process (and every pytest-xdist worker) compiles them at most once. Missing validator files
raise ``OracleMissing``: the suite fails loudly, it never skips.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / ".." / "shared" / "fixtures" / "validation"
SCHXSLT = VALIDATION / "schxslt" / "core" / "src" / "main" / "resources" / "xslt" / "2.0"
PEPPOL_SCH = VALIDATION / "peppol-bis3-3.0.19" / "PEPPOL-EN16931-UBL.sch"
CEN_SCH = VALIDATION / "peppol-bis3-3.0.19" / "CEN-EN16931-UBL.sch"
SI_UBL_XSL = VALIDATION / "si-ubl-2.0" / "si-ubl-2.0.xsl"
XSD = VALIDATION / "ubl-2.1" / "xsd" / "maindoc"
PEPPOL_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
SI_UBL_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_RULE_IN_TEXT = re.compile(r"\[([A-Za-z0-9-]+)\]")


class OracleMissing(RuntimeError):
    """A validator file is not where ../shared/fixtures/validation/README.md says it is."""


@dataclass(frozen=True)
class Failure:
    """One failed schematron assert."""

    validator: str   # "cen", "peppol" or "si-ubl"
    rule: str        # e.g. "BR-E-02", "NL-R-002", "BR-NL-1"
    flag: str        # "fatal" or "warning"
    text: str


@dataclass(frozen=True)
class Report:
    """What the validators said about one document."""

    cius: str                      # "peppol" or "si-ubl": the CIUS it was checked against
    xsd_errors: tuple[str, ...]
    failures: tuple[Failure, ...]

    @property
    def fatal(self) -> set[str]:
        """Rule ids of the failed fatal asserts."""
        return {f.rule for f in self.failures if f.flag == "fatal"}

    @property
    def warnings(self) -> set[str]:
        """Rule ids of the failed warnings."""
        return {f.rule for f in self.failures if f.flag != "fatal"}

    @property
    def valid(self) -> bool:
        """XSD-valid and no fatal assert failed: valid by the README's definition."""
        return not self.xsd_errors and not self.fatal


def need(path: Path) -> Path:
    """``path``, or ``OracleMissing`` naming it and the README when it does not exist."""
    if not path.exists():
        raise OracleMissing(f"official validator file missing: {path.resolve()} (see "
                            "../shared/fixtures/validation/README.md)")
    return path


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:24]


class UblOracle:
    """XSD, CEN, Peppol BIS 3 and SI-UBL 2.0 on one Saxon processor (one per test process)."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        from saxonche import PySaxonProcessor

        for path in (PEPPOL_SCH, CEN_SCH, SI_UBL_XSL, SCHXSLT / "pipeline-for-svrl.xsl",
                     XSD / "UBL-Invoice-2.1.xsd", XSD / "UBL-CreditNote-2.1.xsd"):
            need(path)
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "inburgering-ubl-oracle"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.processor = PySaxonProcessor(license=False)
        self.xslt = self.processor.new_xslt30_processor()
        self.sheets = {"cen": self._schematron(CEN_SCH), "peppol": self._schematron(PEPPOL_SCH),
                       "si-ubl": self.xslt.compile_stylesheet(
                           stylesheet_file=str(SI_UBL_XSL.resolve()))}

    def _schematron(self, sch: Path) -> Any:
        """The SchXslt-compiled XSLT of ``sch``, from the disk cache when its sources match."""
        pipeline = SCHXSLT / "pipeline-for-svrl.xsl"
        sources = sorted(SCHXSLT.rglob("*.xsl"))
        cached = self.cache_dir / f"{sch.stem}-{_digest(sch, *sources)}.xsl"
        if not cached.exists():
            compiler = self.xslt.compile_stylesheet(stylesheet_file=str(pipeline.resolve()))
            text = compiler.transform_to_string(source_file=str(sch.resolve()))
            if not text or "<xsl:" not in text:
                raise OracleMissing(f"SchXslt produced no XSLT for {sch.name}")
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(cached)  # atomic: parallel workers never read half a file
        return self.xslt.compile_stylesheet(stylesheet_file=str(cached))

    @cached_property
    def schemas(self) -> dict[str, Any]:
        """The UBL 2.1 Invoice and CreditNote XSDs."""
        return {kind: etree.XMLSchema(etree.parse(str(XSD / f"UBL-{kind}-2.1.xsd")))
                for kind in ("Invoice", "CreditNote")}

    def check(self, data: bytes, *, as_cius: str | None = None) -> Report:
        """Validate ``data`` (as ``as_cius``, "peppol" or "si-ubl", when given)."""
        root = etree.fromstring(data)
        customization = root.find(f"{{{CBC}}}CustomizationID")
        claimed = "" if customization is None else (customization.text or "").strip()
        cius = as_cius or ("si-ubl" if claimed.startswith(SI_UBL_ID) else "peppol")
        if as_cius is not None and customization is not None:
            customization.text = SI_UBL_ID if as_cius == "si-ubl" else PEPPOL_ID
            data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        kind = etree.QName(root).localname
        schema = self.schemas.get(kind)
        xsd_errors: tuple[str, ...] = (f"root element {kind} is not a UBL Invoice or CreditNote",)
        if schema is not None:
            schema.validate(root)
            xsd_errors = tuple(f"line {e.line}: {e.message}" for e in schema.error_log)
        names = ("cen", "peppol") if cius == "peppol" else ("si-ubl",)
        failures = tuple(f for name in names for f in self._run(name, data))
        return Report(cius, xsd_errors, failures)

    def _run(self, name: str, data: bytes) -> list[Failure]:
        node = self.processor.parse_xml(xml_text=data.decode("utf-8"))
        svrl = etree.fromstring(self.sheets[name].transform_to_string(xdm_node=node).encode())
        out = []
        for node in svrl.iter(f"{SVRL}failed-assert"):
            text = " ".join("".join(node.itertext()).split())
            rule = node.get("id")
            if not rule:  # the SI-UBL XSLT names its rule only in the text: "[BR-NL-1] ..."
                match = _RULE_IN_TEXT.search(text)
                rule = match.group(1) if match else "?"
            out.append(Failure(name, rule, node.get("flag") or "fatal", text))
        return out


if __name__ == "__main__":  # python tests/ubl_oracle.py FILE...: print each report
    import sys

    oracle = UblOracle()
    for name in sys.argv[1:]:
        result = oracle.check(Path(name).read_bytes())
        print(name, result.cius, "VALID" if result.valid else "INVALID", sorted(result.fatal),
              result.xsd_errors[:1], sorted(result.warnings))
