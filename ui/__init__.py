"""The Gradio chat page, a thin layer over `rag.answer.Assistant`."""
