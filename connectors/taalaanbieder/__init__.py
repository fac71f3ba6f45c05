"""Taalaanbieder connector: school drop folders (presentie, DUO CSV, UBL) and aanmeldingen."""
