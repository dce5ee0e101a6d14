"""What every paged view reads the same way."""


def page_number(value) -> int:
    """A page number as asked, cleaned: any spelling that is not a positive integer is page 1."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return 1
    return max(number, 1)
