"""ClaudIA, the virtual assistant: knowledge base and French question understanding."""
