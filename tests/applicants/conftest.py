def stored_files(location) -> list:
    return [path for path in location.rglob("*") if path.is_file()]
