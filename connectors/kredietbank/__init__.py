"""Kredietbank (financieel ontzorgen): aanmeldingen out; betalingen, einde, facturen in."""
