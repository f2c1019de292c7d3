"""Getting data in: ad-platform exports and the demo folder. Imports only pipeline's top modules."""
