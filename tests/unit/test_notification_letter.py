"""The apology letter as a PDF: Vietnamese text that reads right (a font with Vietnamese glyphs is
embedded, not a core font that would turn "Hồ sơ" into question marks), and what the agency signs."""

import io
from datetime import UTC, datetime

import pypdf
from motcua_notification.adapters.pdf import ApologyLetter, render_apology_letter


def test_the_letter_shows_vietnamese_and_what_the_agency_signs() -> None:
    letter = ApologyLetter(
        letter_id="L-42",
        number="15/PXL-STNMT",
        dossier_code="STNMT-261123-0007",
        procedure_code="STNMT.012",
        agency_name="Sở Tài nguyên và Môi trường",
        applicant_name="Phạm Thị Hằng",
        reason="Chờ ý kiến của Ủy ban nhân dân phường Đống Đa",
        new_due_at=datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
        issued_at=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    )
    pdf = render_apology_letter(letter)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in (
        "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG",
        "Số: 15/PXL-STNMT",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "ngày 23 tháng 11 năm 2026",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Phạm Thị Hằng",
        "hồ sơ mã số STNMT-261123-0007",
        "Lý do: Chờ ý kiến của Ủy ban nhân dân phường Đống Đa",
        "hẹn lại ngày trả kết quả vào lúc 09:00 ngày 04/12/2026",
        "THỦ TRƯỞNG CƠ QUAN",
    ):
        assert expected in text, expected
    fonts = {str(f["/BaseFont"]) for f in _fonts(reader)}
    assert fonts and all("OpenSans" in name for name in fonts)


def _fonts(reader: pypdf.PdfReader) -> list[dict[str, object]]:
    resources = reader.pages[0]["/Resources"]["/Font"]
    return [resources[name].get_object() for name in resources]
