"""The errors the library raises on purpose; front ends show their message as is."""


class RagError(Exception):
    """Base class: the message is meant for the person using the tool."""


class UsageError(RagError):
    """The request itself is wrong (a missing path, an unknown name): exit code 2."""


class QuestionError(UsageError):
    """The question cannot be asked (empty, too long)."""


class DocumentError(RagError):
    """One input file cannot be read; the rest of a batch goes on."""


class IndexProblem(RagError):
    """The index is missing, corrupt, locked or built with another model."""


class ModelError(RagError):
    """A model cannot be found or loaded offline."""
