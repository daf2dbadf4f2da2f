# Regenerates the demonstration capture and compares it with the committed
# corpus/sample.pcap byte for byte (run by CTest as gencap_sample).
execute_process(COMMAND ${GENCAP} --sample -w ${OUT} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sift-gencap --sample failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${EXPECTED} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "corpus/sample.pcap differs from sift-gencap --sample output; regenerate it (corpus/README.md)")
endif()
