"""One module per schema revision. Write each by hand to match ``remit.store._sql_models``."""
