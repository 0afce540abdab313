package floe.oracle;

/** A request the oracle cannot act on; its message names the field or column and what was expected. */
final class BadRequest extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BadRequest(String message) {
    super(message);
  }
}
