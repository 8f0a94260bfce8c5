"""The LiveChat: working-day calendar, availability, chat sessions with advisors, push."""
