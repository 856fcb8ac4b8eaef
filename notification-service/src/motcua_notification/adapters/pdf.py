"""The apology letter as a printable A4 PDF (the form the agency signs: "Phiếu xin lỗi và hẹn lại
ngày trả kết quả"), in Vietnamese, with Open Sans embedded because the PDF core fonts have no
Vietnamese glyphs. The font comes from the `ttf-opensans` package, so no system font is needed."""

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from motcua_shared.calendar import PROVINCE_TZ

from ..domain.context import format_datetime

FONT = "OpenSans"


def _font_path(name: str) -> str:
    return str(resources.files("ttf_opensans").joinpath("ttf", name))


@dataclass(frozen=True)
class ApologyLetter:
    letter_id: str
    dossier_code: str
    procedure_code: str
    agency_name: str
    applicant_name: str
    reason: str
    new_due_at: datetime
    issued_at: datetime
    number: str | None = None  # the agency's own numbering (the event's letter_id), when given


def render_apology_letter(letter: ApologyLetter) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Phiếu xin lỗi và hẹn lại ngày trả kết quả - {letter.dossier_code}")
    pdf.set_creator("motcua notification-service")
    pdf.add_font(FONT, "", _font_path("OpenSans-Regular.ttf"))
    pdf.add_font(FONT, "B", _font_path("OpenSans-Bold.ttf"))
    pdf.add_font(FONT, "I", _font_path("OpenSans-Italic.ttf"))
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    width = pdf.epw
    half = width / 2
    issued = letter.issued_at.astimezone(PROVINCE_TZ)

    top = pdf.get_y()
    pdf.set_font(FONT, "B", 10)
    heading = letter.agency_name.upper() + (f"\nSố: {letter.number}" if letter.number else "")
    pdf.multi_cell(half - 4, 5, heading, align="C")
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.multi_cell(half, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C")
    pdf.ln(4)
    pdf.set_font(FONT, "I", 10)
    pdf.set_x(pdf.l_margin + half)
    pdf.cell(
        half, 6, f"ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(8)

    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(width, 8, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", align="C")
    pdf.ln(6)
    pdf.set_font(FONT, "", 12)
    paragraphs = [
        f"Kính gửi: Ông/Bà {letter.applicant_name}",
        f"{letter.agency_name} đã tiếp nhận hồ sơ mã số {letter.dossier_code} "
        f"(thủ tục {letter.procedure_code}) của Ông/Bà.",
        "Tuy nhiên, đến nay hồ sơ của Ông/Bà chưa được giải quyết xong đúng thời hạn đã hẹn.",
        f"Lý do: {letter.reason}",
        f"{letter.agency_name} thành thật xin lỗi Ông/Bà vì sự chậm trễ này và hẹn lại ngày trả kết quả "
        f"vào lúc {format_datetime(letter.new_due_at, 'vi')}.",
        "Xin trân trọng cảm ơn sự thông cảm của Ông/Bà.",
    ]
    for paragraph in paragraphs:
        pdf.multi_cell(width, 7, paragraph, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    pdf.ln(10)
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(half, 6, "THỦ TRƯỞNG CƠ QUAN", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(FONT, "I", 10)
    pdf.cell(half, 6, "(Ký, ghi rõ họ tên và đóng dấu)", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_y(-25)
    pdf.set_font(FONT, "", 8)
    pdf.cell(width, 5, f"Mã phiếu: {letter.letter_id} · Hồ sơ: {letter.dossier_code}", align="L")
    return bytes(pdf.output())
