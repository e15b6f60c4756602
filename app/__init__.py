"""LLM TCO: should we fine-tune, build RAG, or keep prompting a frontier API?"""
