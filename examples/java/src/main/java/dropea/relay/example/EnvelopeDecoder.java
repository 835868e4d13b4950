package dropea.relay.example;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dropea.relay.v1.Envelope.StatusChangedEvent;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a record value in the format its content-type header names (docs/contract.md, "Formats
 * and schemas"), into the message generated from proto/dropea/relay/v1/envelope.proto. Decode by
 * the header, never by what the relay is configured with: after a switch of ENVELOPE_FORMAT a
 * topic holds both formats.
 */
final class EnvelopeDecoder {
  /** The CloudEvents JSON event format (structured content mode). */
  static final String JSON_MEDIA_TYPE = "application/cloudevents+json";
  /** The protobuf binary encoding; application/x-protobuf is its deprecated alias. */
  static final String PROTOBUF_MEDIA_TYPE = "application/protobuf";
  static final String PROTOBUF_LEGACY_MEDIA_TYPE = "application/x-protobuf";
  static final String ENVELOPE_MESSAGE = StatusChangedEvent.getDescriptor().getFullName();

  enum Format {
    JSON,
    PROTOBUF;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  record Decoded(StatusChangedEvent event, Format format) {}

  /** A value that is not an envelope. */
  static final class DecodeException extends Exception {
    DecodeException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /*
   * The JSON envelope is read by protobuf's own JSON parser into the same generated message as
   * a protobuf record, so both formats give one type. The parser accepts the relay's JSON as it
   * is (entity_id as a number, null for an unset previous_status; see the proto file's
   * comments), and ignoringUnknownFields keeps this consumer working when a later schema adds a
   * member.
   */
  private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();

  private EnvelopeDecoder() {}

  /** The envelope in a record value; contentType is null when the record has no such header. */
  static Decoded decode(byte[] value, String contentType) throws DecodeException {
    Format format = formatOf(contentType);
    if (value == null) throw new DecodeException("the record has no value", null);
    StatusChangedEvent event;
    try {
      if (format == Format.JSON) {
        StatusChangedEvent.Builder builder = StatusChangedEvent.newBuilder();
        JSON_PARSER.merge(new String(value, StandardCharsets.UTF_8), builder);
        event = builder.build();
      } else {
        event = StatusChangedEvent.parseFrom(value);
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new DecodeException("not a " + format + " " + ENVELOPE_MESSAGE + ": " + e.getMessage(), e);
    }
    if (!event.hasData()) throw new DecodeException("the envelope has no data", null);
    return new Decoded(event, format);
  }

  /**
   * The format a content-type header names. A record without the header is JSON, as the
   * CloudEvents Kafka binding's structured mode reads it
   * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md).
   * Type and subtype are case-insensitive, parameters follow ";" (RFC 9110, section 8.3.1).
   */
  static Format formatOf(String contentType) throws DecodeException {
    if (contentType == null) return Format.JSON;
    String[] parts = contentType.split(";");
    String mediaType = parts[0].trim().toLowerCase(Locale.ROOT);
    Map<String, String> params = new HashMap<>();
    for (int i = 1; i < parts.length; i++) {
      int at = parts[i].indexOf('=');
      if (at < 0) continue;
      String value = parts[i].substring(at + 1).trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length() - 1);
      params.put(parts[i].substring(0, at).trim().toLowerCase(Locale.ROOT), value);
    }
    switch (mediaType) {
      case JSON_MEDIA_TYPE -> {
        String charset = params.get("charset");
        if (charset != null && !charset.equalsIgnoreCase("utf-8")) throw new DecodeException("content-type " + contentType + ": charset is not utf-8", null);
        return Format.JSON;
      }
      case PROTOBUF_MEDIA_TYPE, PROTOBUF_LEGACY_MEDIA_TYPE -> {
        String message = params.get("proto");
        if (message != null && !message.equals(ENVELOPE_MESSAGE)) throw new DecodeException("content-type " + contentType + ": not a " + ENVELOPE_MESSAGE, null);
        return Format.PROTOBUF;
      }
      default -> throw new DecodeException("content-type " + contentType + " is not an envelope format", null);
    }
  }
}
