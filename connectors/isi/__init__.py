"""ISI (Informatiesysteem Inburgering): the bulk import of legacy Wi2007/PIB and Wi2013 cases."""
