from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """Storage for pupil documents and report files; never served directly."""
    return storages["private"]
