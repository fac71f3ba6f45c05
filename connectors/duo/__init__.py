"""DUO over Digikoppeling WUS: WSDL/XSD, signed zeep client, translators, simulator, connector."""
