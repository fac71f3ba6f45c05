"""Parse untrusted XML from partners safely: no DTDs, no entities, no network, bounded size.

We use lxml (already a dependency through zeep) with a hardened parser rather than defusedxml:

* ``resolve_entities=False`` so no entity (internal or external) is ever expanded: no billion
  laughs, no XXE file or URL reads;
* ``no_network=True`` and ``load_dtd=False`` so nothing is fetched;
* ``huge_tree=False`` so libxml2 keeps its limits on depth and text node size;
* any ``<!DOCTYPE`` at all is refused after parsing (a partner invoice, statement or
  confirmation never needs one), so entity declarations cannot even sneak through unexpanded;
* documents over ``max_bytes`` are refused before parsing.

Errors::

    BadMessage
     └── RuleBroken
          └── XmlRefused       the bytes are not acceptable XML; ``rule`` says why (hub.errors)
          (XML-SIZE too big, XML-DTD has a DOCTYPE/entities, XML-SYNTAX not well-formed)
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from hub.errors import XmlRefused

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def _parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def parse(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The root element of ``data``; ``XmlRefused`` naming ``source`` and the rule otherwise."""
    if not isinstance(data, bytes | bytearray):
        raise XmlRefused(source, "XML-SYNTAX", "expected bytes, not text")
    if len(data) > max_bytes:
        raise XmlRefused(source, "XML-SIZE", f"{len(data)} bytes is over the {max_bytes} limit")
    try:
        root = etree.fromstring(bytes(data), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(source, "XML-SYNTAX", _first_line(str(exc))) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlRefused(source, "XML-DTD", "document type declarations are not accepted")
    if _has_entity_refs(root):
        raise XmlRefused(source, "XML-DTD", "entity references are not accepted")
    return root


def _has_entity_refs(root: Any) -> bool:
    return any(True for _ in root.iter(etree.Entity))


def _first_line(text: str) -> str:
    return text.splitlines()[0][:200] if text else "not well-formed"
