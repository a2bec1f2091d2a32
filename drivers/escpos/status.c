/*
 * status.c — the printer's real-time status bytes as the kiosk's PRINTER
 * bits (docs/escpos.md, "Status").
 *
 * Room: drivers/escpos. Pure: no I/O.
 */
#include "escpos.h"

#include "proto/proto.h"

/* A real-time status byte has bit 4 set and bits 0 and 7 clear. */
static bool is_status_byte(uint8_t b)
{
	return (b & 0x91) == 0x10;
}

uint16_t escpos_status_bits(uint8_t eot1, uint8_t eot2, uint8_t eot4)
{
	uint16_t bits = 0;

	if (!is_status_byte(eot1) || !is_status_byte(eot2) || !is_status_byte(eot4))
		return PROTO_PRINTER_OFFLINE; /* not a printer we understand */
	if (eot1 & 0x08)
		bits |= PROTO_PRINTER_OFFLINE;
	if (eot2 & 0x04)
		bits |= PROTO_PRINTER_COVER_OPEN;
	if ((eot2 & 0x20) || (eot4 & 0x60))
		bits |= PROTO_PRINTER_PAPER_OUT;
	else if (eot4 & 0x0c)
		bits |= PROTO_PRINTER_NEAR_END;
	if (!(bits & (PROTO_PRINTER_OFFLINE | PROTO_PRINTER_COVER_OPEN | PROTO_PRINTER_PAPER_OUT)))
		bits |= PROTO_PRINTER_OK;
	return bits;
}
